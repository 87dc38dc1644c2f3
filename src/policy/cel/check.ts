/**
 * A static check of a parsed CEL expression against the two variables policies may use.
 * `@bufbuild/cel` resolves names and functions only at evaluation, so without this a typo
 * (`identity.group`, `lowerAsci()`) would load fine and deny every request. Claims and
 * attributes are `dyn`; only what is certain before a request arrives is reported: unknown
 * names, fields, functions and overloads, operands of the wrong type, a non-bool result.
 */

import type { CelEnv } from '@bufbuild/cel';
import { accepts, isVariable, staticTypeOf, typeName, VARIABLE_FIELDS } from './types.js';
import type { Expr, ParsedExpr, StaticType } from './types.js';

type Funcs = CelEnv['funcs'];
type Scope = ReadonlyMap<string, StaticType>;
type Call = Extract<Expr['exprKind'], { case: 'callExpr' }>['value'];
type Comprehension = Extract<Expr['exprKind'], { case: 'comprehensionExpr' }>['value'];

const TYPE_NAMES = new Set(['bool', 'int', 'uint', 'double', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);

export interface CheckEnv {
  readonly funcs: Funcs;
  /** Why the engine of `matches` rejects a pattern, or null: constant patterns are checked at load. */
  readonly regexProblem: (pattern: string) => string | null;
}

/** Every problem, each as "line:column: what is wrong"; empty when the expression is sound. */
export function checkExpression(parsed: ParsedExpr, source: string, env: CheckEnv): readonly string[] {
  const checker = new Checker(parsed, source, env);
  const type = checker.typeOf(parsed.expr, new Map());
  if (!accepts('bool', type)) checker.report(undefined, `must evaluate to a bool, got ${typeName(type)}`);
  return checker.problems;
}

class Checker {
  readonly problems: string[] = [];

  constructor(
    private readonly parsed: ParsedExpr,
    private readonly source: string,
    private readonly env: CheckEnv,
  ) {}

  report(expr: Expr | undefined, message: string): StaticType {
    this.problems.push(`${this.where(expr)}${message}`);
    return 'dyn';
  }

  typeOf(expr: Expr | undefined, scope: Scope): StaticType {
    if (expr === undefined) return 'dyn';
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'constExpr':
        return constantType(kind.value.constantKind.case);
      case 'identExpr':
        return this.identType(expr, kind.value.name, scope);
      case 'selectExpr':
        return this.selectType(expr, this.typeOf(kind.value.operand, scope), kind.value.field, kind.value.testOnly);
      case 'callExpr':
        return this.callType(expr, kind.value, scope);
      case 'listExpr':
        for (const element of kind.value.elements) this.typeOf(element, scope);
        return 'list';
      case 'structExpr':
        if (kind.value.messageName !== '') return this.report(expr, `message construction (${kind.value.messageName}) is not available`);
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') this.typeOf(entry.keyKind.value, scope);
          this.typeOf(entry.value, scope);
        }
        return 'map';
      case 'comprehensionExpr':
        return this.comprehensionType(expr, kind.value, scope);
      default:
        return 'dyn';
    }
  }

  private identType(expr: Expr, name: string, scope: Scope): StaticType {
    const bound = scope.get(name);
    if (bound !== undefined) return bound;
    if (name === 'identity' || name === 'request') return name;
    if (TYPE_NAMES.has(name)) return 'type';
    return this.report(expr, `unknown name "${name}" (only identity and request are defined)`);
  }

  private selectType(expr: Expr, operand: StaticType, field: string, testOnly: boolean): StaticType {
    let type: StaticType = 'dyn';
    if (isVariable(operand)) {
      const fields = VARIABLE_FIELDS[operand];
      const known = Object.hasOwn(fields, field) ? fields[field] : undefined;
      type = known ?? this.report(expr, `${operand} has no field "${field}" (it has ${Object.keys(fields).join(', ')})`);
    } else if (operand !== 'map' && operand !== 'dyn') {
      this.report(expr, `cannot select "${field}" from a ${operand}`);
    }
    return testOnly ? 'bool' : type;
  }

  private callType(expr: Expr, call: Call, scope: Scope): StaticType {
    const fn = call.function;
    if (fn === '_&&_' || fn === '_||_') {
      for (const arg of call.args) this.expectBool(arg, this.typeOf(arg, scope), fn === '_&&_' ? '&&' : '||');
      return 'bool';
    }
    if (fn === '_?_:_') {
      const [condition, whenTrue, whenFalse] = call.args.map((arg) => this.typeOf(arg, scope));
      this.expectBool(call.args[0], condition ?? 'dyn', '?:');
      return whenTrue === whenFalse && whenTrue !== undefined ? whenTrue : 'dyn';
    }
    if (fn === '_[_]' || fn === '_[?_]') return this.indexType(expr, call, scope);
    if (fn === '@not_strictly_false' || fn === '__not_strictly_false__') {
      for (const arg of call.args) this.typeOf(arg, scope);
      return 'bool';
    }
    const qualified = call.target === undefined ? undefined : qualifiedName(call.target);
    if (qualified !== undefined && this.env.funcs.find(`${qualified}.${fn}`) !== undefined) {
      return this.overloadType(expr, `${qualified}.${fn}`, undefined, call.args, scope);
    }
    return this.overloadType(expr, fn, call.target, call.args, scope);
  }

  private overloadType(expr: Expr, fn: string, target: Expr | undefined, args: readonly Expr[], scope: Scope): StaticType {
    const targetType = target === undefined ? undefined : this.typeOf(target, scope);
    const argTypes = args.map((arg) => this.typeOf(arg, scope));
    if (fn === 'matches') this.checkPattern(args[args.length - 1]);
    const group = this.env.funcs.find(fn);
    const shown = displayName(fn);
    if (group === undefined) return this.report(expr, `unknown ${target === undefined ? 'function' : 'method'} "${shown}"`);
    const matching = [...group].filter(
      (f) =>
        (f.target === undefined) === (targetType === undefined) &&
        (f.target === undefined || targetType === undefined || accepts(staticTypeOf(f.target), targetType)) &&
        f.arguments.length === argTypes.length &&
        f.arguments.every((param, i) => accepts(staticTypeOf(param), argTypes[i] ?? 'dyn')),
    );
    if (matching.length === 0) {
      const list = argTypes.map(typeName).join(', ');
      const signature = targetType === undefined ? `${shown}(${list})` : `${typeName(targetType)}.${shown}(${list})`;
      return this.report(expr, `no overload of "${shown}" accepts ${signature}`);
    }
    const results = new Set(matching.map((f) => staticTypeOf(f.result)));
    return results.size === 1 ? ([...results][0] ?? 'dyn') : 'dyn';
  }

  private checkPattern(pattern: Expr | undefined): void {
    const constant = pattern?.exprKind.case === 'constExpr' ? pattern.exprKind.value.constantKind : undefined;
    if (constant?.case !== 'stringValue') return;
    const problem = this.env.regexProblem(constant.value);
    if (problem !== null) this.report(pattern, `invalid regular expression ${JSON.stringify(constant.value)}: ${problem}`);
  }

  private indexType(expr: Expr, call: Call, scope: Scope): StaticType {
    const [operandExpr, indexExpr] = call.args;
    const operand = this.typeOf(operandExpr, scope);
    this.typeOf(indexExpr, scope);
    const key = indexExpr?.exprKind.case === 'constExpr' ? indexExpr.exprKind.value.constantKind : undefined;
    if (isVariable(operand) && key?.case === 'stringValue') return this.selectType(expr, operand, key.value, false);
    if (operand === 'list' || operand === 'map' || operand === 'dyn' || isVariable(operand)) return 'dyn';
    return this.report(expr, `cannot index a ${operand}`);
  }

  private comprehensionType(expr: Expr, loop: Comprehension, scope: Scope): StaticType {
    const range = this.typeOf(loop.iterRange, scope);
    if (range !== 'list' && range !== 'map' && range !== 'dyn' && !isVariable(range)) {
      this.report(expr, `cannot iterate over a ${range}`);
    }
    const accumulator = this.typeOf(loop.accuInit, scope);
    const inner = new Map(scope);
    inner.set(loop.accuVar, accumulator);
    const body = new Map(inner);
    body.set(loop.iterVar, 'dyn');
    if (loop.iterVar2 !== '') body.set(loop.iterVar2, 'dyn');
    this.typeOf(loop.loopCondition, body);
    this.typeOf(loop.loopStep, body);
    return this.typeOf(loop.result, inner);
  }

  private expectBool(expr: Expr | undefined, type: StaticType, operator: string): void {
    if (!accepts('bool', type)) this.report(expr, `${operator} needs bool operands, got ${typeName(type)}`);
  }

  /** "line:column: " of an expression in the source, when the parser recorded it. */
  private where(expr: Expr | undefined): string {
    const offset = expr === undefined ? undefined : this.parsed.sourceInfo?.positions[expr.id.toString()];
    if (offset === undefined) return '';
    const before = this.source.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return `${line}:${column}: `;
  }
}

function constantType(kind: string | undefined): StaticType {
  switch (kind) {
    case 'boolValue':
      return 'bool';
    case 'int64Value':
      return 'int';
    case 'uint64Value':
      return 'uint';
    case 'doubleValue':
      return 'double';
    case 'stringValue':
      return 'string';
    case 'bytesValue':
      return 'bytes';
    case 'nullValue':
      return 'null_type';
    default:
      return 'dyn';
  }
}

/** `strings` in `strings.quote(x)`: a dotted name that may qualify a function. */
function qualifiedName(expr: Expr): string | undefined {
  const kind = expr.exprKind;
  if (kind.case === 'identExpr') return kind.value.name;
  if (kind.case === 'selectExpr' && kind.value.operand !== undefined) {
    const operand = qualifiedName(kind.value.operand);
    return operand === undefined ? undefined : `${operand}.${kind.value.field}`;
  }
  return undefined;
}

/** `_+_` → `+`, `@in` → `in`, `!_` → `!`; functions keep their names. */
function displayName(fn: string): string {
  return fn.replace(/^@/, '').replace(/^_(.+)_$/, '$1').replace(/^([!-])_$/, '$1');
}
