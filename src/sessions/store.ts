/**
 * The session store contract: what the gateway needs to keep browser and script sessions
 * server-side. Implementations: `MemorySessionStore` (one process) and `RedisSessionStore`
 * (shared by replicas). Both pass the same contract suite (test/sessions/store-contract.ts).
 */

import { createHash } from 'node:crypto';

/** A value that survives a JSON round trip unchanged (claims and attributes come from JSON). */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * How the identity in a session was first established: `session` = interactive browser login,
 * `basic` / `bearer` = header credentials that were exchanged for a session cookie.
 */
export type SessionOrigin = 'session' | 'basic' | 'bearer';

/** The identity and tokens a session carries. Tokens are credentials: stores must protect them. */
export interface SessionData {
  readonly username: string;
  readonly email: string;
  readonly name: string;
  readonly groups: readonly string[];
  readonly entitlements: readonly string[];
  readonly attributes: Readonly<Record<string, JsonValue>>;
  readonly claims: Readonly<Record<string, JsonValue>>;
  readonly accessToken: string;
  readonly idToken?: string;
  readonly refreshToken?: string;
  /** Epoch ms at which `accessToken` expires. */
  readonly tokenExpiresAt: number;
  readonly method: SessionOrigin;
}

export interface SessionRecord {
  /** 256 random bits, base64url without padding (43 characters). */
  readonly id: string;
  /** The application the session is bound to; it is never valid for another one. */
  readonly application: string;
  /** The IdP subject, for the per-user index (sign-out, back-channel logout). */
  readonly sub: string;
  readonly identity: SessionData;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms; stores clamp it to `createdAt + sessions.lifetime`. */
  readonly expiresAt: number;
}

/** What `create` needs; the store picks the id and `createdAt`. */
export type NewSession = Omit<SessionRecord, 'id' | 'createdAt'>;

/** Returned by `withLock` when another holder (in any replica) has the lock. */
export const LOCK_BUSY: unique symbol = Symbol('portcullis.sessions.lockBusy');
export type LockBusy = typeof LOCK_BUSY;

/**
 * Every method rejects with `SessionStoreUnavailableError` (code `PCL_SESSION_STORE_UNAVAILABLE`)
 * when the backing store cannot answer; a failure is never reported as "no session".
 */
export interface SessionStore {
  /** Stores a new session under a fresh random id. Rejects with RangeError if already expired. */
  create(input: NewSession): Promise<SessionRecord>;
  /** The live session with this id bound to `application`, else null (unknown, expired, other app). */
  get(id: string, application: string): Promise<SessionRecord | null>;
  /**
   * Replaces identity and expiry of an existing session (e.g. after a token refresh). Returns false,
   * writing nothing, when the session is gone or `application`, `sub` or `createdAt` differ:
   * an update never resurrects a deleted session or moves it to another user.
   */
  update(record: SessionRecord): Promise<boolean>;
  delete(id: string): Promise<void>;
  /** Ends every session of `sub` for `application`; returns how many live sessions ended. */
  deleteForUser(application: string, sub: string): Promise<number>;
  /**
   * Ends every session, of any application, whose tokens' `sid` claim is `sessionId` or hashes
   * to it (hex SHA-256): the IdP ended that session (authentik's session-end event sends the
   * one or the other, back-channel logout the `sid` itself). With `only`, just those whose
   * tokens came from that issuer and, if given, belong to that subject (a logout token names
   * the session by `iss` + `sid`, §2.7). Returns how many live sessions ended.
   */
  deleteForSid(sessionId: string, only?: SidScope): Promise<number>;
  /**
   * Records `key` for `ttlMs` (shared by all replicas of a shared store) and resolves true, or
   * resolves false when it is already recorded: a one-time value (a login state, a logout
   * token's `jti`) is accepted once, whichever replica sees it first.
   */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Whether `key` is recorded by `claimOnce` and not yet forgotten. */
  isClaimed(key: string): Promise<boolean>;
  /**
   * Runs `fn` while holding `key` (shared by all replicas of a shared store), or returns
   * `LOCK_BUSY` at once if someone holds it. The lock expires after `ttlMs` even if `fn` hangs.
   */
  withLock<T>(key: string, ttlMs: number, fn: () => Promise<T>): Promise<T | LockBusy>;
  /** Counts a hit on `key` and returns the hits in the last `windowMs` (approximate sliding window). */
  hit(key: string, windowMs: number): Promise<number>;
  /** Resolves when the store answers; for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type Clock = () => number;
export type RandomBytes = (size: number) => Buffer;

/** Narrows `deleteForSid` to the sessions of one issuer (and one subject). */
export interface SidScope {
  readonly issuer: string;
  readonly sub?: string;
}

/** Whether a record is within a `deleteForSid` scope. */
export function inSidScope(record: Pick<SessionRecord, 'sub' | 'identity'>, scope: SidScope): boolean {
  return record.identity.claims['iss'] === scope.issuer && (scope.sub === undefined || record.sub === scope.sub);
}

/** The keys `deleteForSid` finds a record under: its `sid` claim and that claim's hex SHA-256. */
export function sidKeysOf(record: Pick<SessionRecord, 'identity'>): readonly string[] {
  return sidKeysFor(record.identity.claims['sid']);
}

/** `sidKeysOf` for a `sid` claim's value (none unless it is a non-empty string). */
export function sidKeysFor(sid: JsonValue | undefined): readonly string[] {
  return typeof sid === 'string' && sid !== '' ? [sid, createHash('sha256').update(sid, 'utf8').digest('hex')] : [];
}
