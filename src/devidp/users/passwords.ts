import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes for the users file: scrypt, self-describing as
 * `scrypt$N$r$p$saltBase64$hashBase64`, so the cost can change without breaking old fixtures.
 */

const DEFAULT_COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_BYTES = 16;
// Bounds keep a hostile or mistyped users file from making one login allocate gigabytes.
const MAX_N = 1 << 20;
const MAX_RP = 64;

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

export function hashPassword(plain: string): string {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = DEFAULT_COST;
  const hash = scryptSync(plain.normalize('NFC'), salt, KEY_LENGTH, { N, r, p, maxmem: maxmem(N, r) });
  return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Why a hash string is unusable, or undefined when it is well formed. */
export function describeHashProblem(value: string): string | undefined {
  return parseHash(value) === undefined
    ? 'expected a hash made by hashPassword (scrypt$N$r$p$salt$hash), got something else'
    : undefined;
}

export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (parsed === undefined) return false;
  const actual = await derive(plain, parsed);
  return actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
}

/**
 * A hash of nothing anyone knows, checked when the username is unknown so that a wrong username
 * costs as much time as a wrong password (no user enumeration by timing).
 */
export function decoyHash(): string {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  return decoy;
}
let decoy: string | undefined;

function parseHash(value: string): ParsedHash | undefined {
  const parts = value.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^[1-9][0-9]{0,7}$/.test(part) ? Number(part) : NaN));
  if (N === undefined || r === undefined || p === undefined) return undefined;
  if (!(N > 1 && N <= MAX_N && (N & (N - 1)) === 0 && r <= MAX_RP && p <= MAX_RP)) return undefined;
  const salt = decodeBase64(parts[4]);
  const hash = decodeBase64(parts[5]);
  if (salt === undefined || hash === undefined || salt.length < 8 || hash.length < 16) return undefined;
  return { N, r, p, salt, hash };
}

function decodeBase64(value: string | undefined): Buffer | undefined {
  if (value === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}

function derive(plain: string, { N, r, p, salt, hash }: ParsedHash): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(plain.normalize('NFC'), salt, hash.length, { N, r, p, maxmem: maxmem(N, r) }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function maxmem(N: number, r: number): number {
  return 128 * N * r * 2;
}
