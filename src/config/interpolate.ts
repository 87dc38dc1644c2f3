/**
 * `${NAME}` and `${NAME:-default}` in string values, replaced from the environment after YAML
 * parsing: a variable can only ever become (part of) one string, never YAML structure, so a value
 * such as "x\nadmin: true" stays one string. `$${` writes a literal `${`. Replaced text is not
 * scanned again. `:-` uses the default when the variable is unset or empty, as in the shell.
 */

import { isPlainObject, setOwn } from './plain.js';
import { UNRESOLVED } from './problems.js';
import type { DocPath, Problems } from './problems.js';

export type Environment = Readonly<Record<string, string | undefined>>;

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/** Interpolates every string in a parsed YAML value; a string that cannot be resolved becomes UNRESOLVED. */
export function interpolate(value: unknown, env: Environment, at: DocPath, problems: Problems): unknown {
  if (typeof value === 'string') return interpolateString(value, env, at, problems);
  if (Array.isArray(value)) return value.map((item: unknown, i) => interpolate(item, env, [...at, i], problems));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      setOwn(out, key, interpolate(item, env, [...at, key], problems));
    }
    return out;
  }
  return value;
}

function lookup(env: Environment, name: string): string | undefined {
  return Object.hasOwn(env, name) ? env[name] : undefined;
}

function interpolateString(text: string, env: Environment, at: DocPath, problems: Problems): string | typeof UNRESOLVED {
  let out = '';
  let failed = false;
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      out += text[i];
      i += 1;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) {
      problems.add(at, 'unterminated "${" (write "$${" for a literal "${")');
      return UNRESOLVED;
    }
    // The reference text is not shown: a default may be a secret.
    const match = REFERENCE.exec(text.slice(i + 2, close));
    const [, name = '', fallback] = match ?? [];
    if (match === null || fallback?.includes('${') === true) {
      problems.add(at, 'invalid variable reference: expected ${NAME} or ${NAME:-default} (write "$${" for a literal "${")');
      failed = true;
    } else {
      const found = lookup(env, name);
      const resolved = fallback !== undefined && (found === undefined || found === '') ? fallback : found;
      if (resolved === undefined) {
        problems.add(at, `environment variable ${name} is not set (write \${${name}:-default} to give a default)`);
        failed = true;
      } else {
        out += resolved;
      }
    }
    i = close + 1;
  }
  return failed ? UNRESOLVED : out;
}
