/**
 * Problems found while validating: each with the dotted path of the key and what was expected,
 * collected so that every one is reported at once.
 */

import type { ValidationProblem } from '../errors/index.js';

/** A path into the configuration document: keys and list positions. */
export type DocPath = readonly PropertyKey[];

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `sessions.redis.url`, `applications[0].internalHost`, `additionalHeaders["X Bad"]`; '' for the root. */
export function dottedPath(path: DocPath): string {
  let text = '';
  for (const step of path) {
    if (typeof step === 'number') text += `[${step}]`;
    else if (typeof step === 'string' && PLAIN_KEY.test(step)) text += text === '' ? step : `.${step}`;
    else text += `[${JSON.stringify(String(step))}]`;
  }
  return text;
}

/**
 * Stands in for a string whose interpolation failed. The interpolation problem is already
 * reported, so validation treats the value as invalid without reporting it a second time.
 */
export const UNRESOLVED: unique symbol = Symbol('unresolved');

/** Collects problems in discovery order, without duplicates (an inherited value is checked once per application). */
export class Problems {
  private readonly seen = new Set<string>();
  private readonly found: ValidationProblem[] = [];

  add(path: DocPath | string, message: string): void {
    const text = typeof path === 'string' ? path : dottedPath(path);
    const key = `${text}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.found.push({ path: text, message });
  }

  get list(): readonly ValidationProblem[] {
    return this.found;
  }
}

const MAX_SHOWN = 80;

/** A value as shown in a problem message: JSON, shortened. Never call it on secrets. */
export function show(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** What a secret value is, without what it says: "a string of 12 bytes", "a number". */
export function showSecret(value: unknown): string {
  if (typeof value === 'string') return `a string of ${Buffer.byteLength(value, 'utf8')} bytes`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}
