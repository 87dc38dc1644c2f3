/** Rules every store applies the same way: id format, lifetime clamp, input checks. */

import type { NewSession, RandomBytes } from './store.js';

const SESSION_ID_BYTES = 32;
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** 256 random bits as base64url without padding: 43 characters. */
export function newSessionId(randomBytes: RandomBytes): string {
  const bytes = randomBytes(SESSION_ID_BYTES);
  if (bytes.length !== SESSION_ID_BYTES) throw new RangeError(`randomBytes(${SESSION_ID_BYTES}) returned ${bytes.length} bytes`);
  return bytes.toString('base64url');
}

/** Cheap shape check before any lookup, so odd input never reaches a key or a map. */
export function isSessionId(value: string): boolean {
  return value.length === 43 && SESSION_ID_PATTERN.test(value);
}

/** A session never outlives `createdAt + lifetimeMs`, whatever the caller asks for. */
export function clampExpiry(createdAt: number, expiresAt: number, lifetimeMs: number): number {
  return Math.min(expiresAt, createdAt + lifetimeMs);
}

export function assertCreatable(input: NewSession, now: number): void {
  if (!Number.isFinite(input.expiresAt) || input.expiresAt <= now) {
    throw new RangeError('session expiresAt must be a finite time in the future');
  }
}

export function assertPositiveMs(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer of milliseconds`);
}

/** How many times `create` draws a new id when the drawn one is taken (only a broken RNG collides). */
export const MAX_ID_ATTEMPTS = 3;

export function idCollisionError(): Error {
  return new Error(`session id collided ${MAX_ID_ATTEMPTS} times; the random source is broken`);
}
