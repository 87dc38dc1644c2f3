/** The static types the expression checker reasons with, and the variables policies may use. */

import type { CelType, parse } from '@bufbuild/cel';

export type ParsedExpr = ReturnType<typeof parse>;
export type Expr = NonNullable<ParsedExpr['expr']>;

/**
 * CEL types as far as they can be known before a request arrives: claims and attributes are
 * JSON of any shape, so what is read from them is `dyn` and only checked at run time.
 */
export type StaticType =
  | 'bool'
  | 'int'
  | 'uint'
  | 'double'
  | 'string'
  | 'bytes'
  | 'null_type'
  | 'type'
  | 'list'
  | 'map'
  | 'timestamp'
  | 'duration'
  | 'dyn'
  | Variable;

/** The two variables; at run time each is a map with exactly these keys. */
export type Variable = 'identity' | 'request';

export const VARIABLE_FIELDS: Readonly<Record<Variable, Readonly<Record<string, StaticType>>>> = {
  identity: { username: 'string', email: 'string', groups: 'list', attributes: 'map', claims: 'map' },
  request: { method: 'string', path: 'string', host: 'string', ip: 'string' },
};

export function isVariable(type: StaticType): type is Variable {
  return type === 'identity' || type === 'request';
}

/** How a function signature's type reads as a static type. */
export function staticTypeOf(type: CelType): StaticType {
  switch (type.kind) {
    case 'list':
      return 'list';
    case 'map':
      return 'map';
    case 'object':
      if (type.name === 'google.protobuf.Timestamp') return 'timestamp';
      if (type.name === 'google.protobuf.Duration') return 'duration';
      return 'dyn';
    case 'scalar':
      return type.scalar;
  }
}

/** Whether a value of static type `arg` may be passed where `param` is declared. */
export function accepts(param: StaticType, arg: StaticType): boolean {
  if (param === 'dyn' || arg === 'dyn' || param === arg) return true;
  return param === 'map' && isVariable(arg);
}

/** The type shown in problems: the variables are maps. */
export function typeName(type: StaticType): string {
  return isVariable(type) ? 'map' : type;
}
