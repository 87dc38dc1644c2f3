/** Server-side sessions: the store contract, memory and Redis stores, and the session cookie. */

export type {
  Clock,
  JsonValue,
  LockBusy,
  NewSession,
  RandomBytes,
  SessionData,
  SessionOrigin,
  SessionRecord,
  SessionStore,
  SidScope,
} from './store.js';
export { LOCK_BUSY } from './store.js';
export { SessionStoreUnavailableError, isSessionStoreUnavailable } from './errors.js';
export { createSessionStore, type SessionStoreDeps } from './create-store.js';
export { MemorySessionStore, DEFAULT_MAX_SESSIONS, type MemoryStoreOptions } from './memory-store.js';
export { RedisSessionStore, type RedisStoreOptions } from './redis-store.js';
export { createRedisClient, type RedisConnection, type RedisTimeouts } from './redis-client.js';
export { encodeSessionCookie, decodeSessionCookie, SessionCookieDecoder } from './cookie.js';
export {
  serializeCookie,
  serializeExpiredCookie,
  readCookie,
  removeCookie,
  isValidCookieName,
  type CookieOptions,
} from './cookie-header.js';
export { LoginStateCodec, LOGIN_STATE_MAX_AGE_MS, type LoginState } from './login-state.js';
export { observeStore, type StoreObserver } from './observed-store.js';
export { packIdentity, unpackIdentity, isJsonValue, type IdentityParts, type PackedIdentity } from './packed-identity.js';
export { RecencyList, type RecencyLinks } from './recency.js';
export { InternTable } from './intern.js';
export { WarmSet, type Warmable } from './warm-set.js';
