export type { Identity, AuthMethod } from './identity.js';
export {
  quoteString,
  formatChallenge,
  basicChallenge,
  bearerChallenge,
  type BearerErrorCode,
  type ChallengeParam,
} from './challenge.js';
export {
  authenticate,
  NO_CREDENTIALS,
  type Authenticator,
  type AuthResult,
  type CredentialFacts,
} from './authenticate.js';
export {
  parseCredentials,
  parseChallenges,
  authParam,
  MALFORMED_REASONS,
  MAX_CREDENTIALS_LENGTH,
  AUTHENTIK_TOKEN_USERNAME,
  type Challenge,
  type ParsedCredentials,
  type MalformedReason,
} from './credentials/index.js';
export { CredentialCache, type CredentialCacheOptions, type CachedCredential } from './credential-cache.js';
export { HeaderAuthenticator, type HeaderAuthenticatorOptions } from './header-authenticator.js';
export { LoginThrottle, type LoginThrottleOptions, type Admission, type AttemptTicket } from './login-throttle.js';
export { canonicalUsername, canonicalAddress } from './throttle-keys.js';
export { identityFromClaims, claimAt, type Claims, type IdentityInput } from './claims.js';
export { SessionAuthenticator, type SessionAuthenticatorOptions } from './session-authenticator.js';
export { SessionIssuer, type SessionIssuerOptions } from './session-issuer.js';
export { sessionFromIdentity, identityFromSession, type SessionTokens } from './session-codec.js';
export { SessionRefresher, type SessionRefresherOptions, type RefreshResult } from './session-refresh.js';
