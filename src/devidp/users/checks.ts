import type { ValidationProblem } from '../../errors/index.js';
import type { JsonObject, JsonValue } from '../types.js';

/**
 * Small typed readers for untrusted YAML values. Each reader records a problem with the dotted
 * path instead of throwing, so a file with five mistakes reports all five at once.
 */
export class Problems {
  readonly list: ValidationProblem[] = [];

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

export type Mapping = Readonly<Record<string, unknown>>;

export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value} ${String(value)}`;
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** Reports keys outside `allowed`: a misspelt key must not silently fall back to a default. */
export function rejectUnknownKeys(value: Mapping, allowed: readonly string[], path: string, problems: Problems): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      problems.add(join(path, key), `unknown key (expected one of: ${allowed.join(', ')})`);
    }
  }
}

export function readMapping(value: unknown, path: string, problems: Problems): Mapping | undefined {
  if (isMapping(value)) return value;
  problems.add(path, `expected a mapping, got ${describeValue(value)}`);
  return undefined;
}

export function readList(parent: Mapping, key: string, path: string, problems: Problems): readonly unknown[] {
  const value = parent[key];
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  problems.add(join(path, key), `expected a list, got ${describeValue(value)}`);
  return [];
}

interface StringRules {
  readonly required?: boolean;
  readonly fallback?: string;
  readonly secret?: boolean;
}

export function readString(parent: Mapping, key: string, path: string, problems: Problems, rules: StringRules = {}): string {
  const value = parent[key];
  const at = join(path, key);
  if (value === undefined || value === null) {
    if (rules.required) problems.add(at, 'is required');
    return rules.fallback ?? '';
  }
  if (typeof value !== 'string') {
    problems.add(at, `expected a string, got ${rules.secret ? typeof value : describeValue(value)}`);
    return rules.fallback ?? '';
  }
  if (rules.required && value === '') problems.add(at, 'must not be empty');
  return value;
}

export function readBoolean(parent: Mapping, key: string, path: string, problems: Problems, fallback: boolean): boolean {
  const value = parent[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  problems.add(join(path, key), `expected true or false, got ${describeValue(value)}`);
  return fallback;
}

interface NumberRules {
  readonly integer?: boolean;
  readonly min?: number;
  /** null in the file stays null instead of taking the fallback. */
  readonly nullable?: boolean;
}

export function readNumber(parent: Mapping, key: string, path: string, problems: Problems, fallback: number, rules?: NumberRules): number;
export function readNumber(
  parent: Mapping, key: string, path: string, problems: Problems, fallback: number | null, rules: NumberRules & { nullable: true },
): number | null;
export function readNumber(
  parent: Mapping, key: string, path: string, problems: Problems, fallback: number | null, rules: NumberRules = {},
): number | null {
  const value = parent[key];
  if (value === undefined || (value === null && !rules.nullable)) return fallback;
  if (value === null) return null;
  const wanted = rules.integer ? 'an integer' : 'a number';
  const bound = rules.min === undefined ? '' : ` >= ${rules.min}`;
  const fits = typeof value === 'number' && Number.isFinite(value) && (!rules.integer || Number.isInteger(value)) && (rules.min === undefined || value >= rules.min);
  if (fits) return value;
  problems.add(join(path, key), `expected ${wanted}${bound}${rules.nullable ? ' or null' : ''}, got ${describeValue(value)}`);
  return fallback;
}

/** `check` returns a problem message for a string item, or undefined when the item is fine. */
export function readStringList(
  parent: Mapping,
  key: string,
  path: string,
  problems: Problems,
  check: (item: string) => string | undefined = () => undefined,
): string[] {
  const items = readList(parent, key, path, problems);
  const out: string[] = [];
  items.forEach((item, i) => {
    const at = join(join(path, key), i);
    const problem = typeof item === 'string' && item !== '' ? check(item) : `expected a non-empty string, got ${describeValue(item)}`;
    if (problem === undefined) out.push(item as string);
    else problems.add(at, problem);
  });
  return out;
}

/** Attributes end up in JSON tokens, so only JSON values are allowed (YAML can express more). */
export function readAttributes(parent: Mapping, key: string, path: string, problems: Problems): JsonObject {
  const value = parent[key];
  const at = join(path, key);
  if (value === undefined || value === null) return {};
  const mapping = readMapping(value, at, problems);
  return mapping === undefined ? {} : (toJson(mapping, at, problems) as JsonObject);
}

function toJson(value: unknown, path: string, problems: Problems): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.map((item, i) => toJson(item, join(path, i), problems));
  if (isMapping(value) && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v, join(path, k), problems)]));
  }
  problems.add(path, `expected a JSON value (string, number, boolean, null, list, mapping), got ${describeValue(value)}`);
  return null;
}

/** Records a problem on the second and later occurrence of each key. */
export function reportDuplicates(
  entries: readonly { readonly key: string; readonly path: string }[],
  what: string,
  problems: Problems,
): void {
  const seen = new Map<string, string>();
  for (const { key, path } of entries) {
    if (key === '') continue;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, path);
    else problems.add(path, `duplicate ${what} "${key}" (first defined at ${first})`);
  }
}
