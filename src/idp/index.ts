export { IdentityProvider, type ProviderOptions } from './provider.js';
export { IdpDirectory, type IdpDirectoryOptions, type DiscoveryLog } from './directory.js';
export { JwksCache, type JwksOptions } from './jwks.js';
export { verifyAccessToken, defaultAlgorithms, type AccessTokenPolicy, type VerifiedToken } from './access-token.js';
export { exchangePassword, type GrantRequest } from './grants.js';
export { introspectToken } from './introspection.js';
export { TokenChecker, type TokenCheckerOptions } from './token-checker.js';
export type { Verdict } from './verdict.js';
