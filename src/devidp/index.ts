/**
 * A development OpenID Provider on oidc-provider that speaks authentik's dialect: users with
 * groups, attributes and app passwords; code flow with PKCE and a login page; client_credentials
 * with username + app password; password grant; refresh tokens; JWT access tokens;
 * introspection; revocation; end-session; back-channel logout; optionally a mimic of authentik's
 * outpost API and websocket. For the demo and for tests only; the gateway never imports it.
 */
export { startDevIdp } from './start.js';
export { loadUsersFile } from './users/load.js';
export { parseUsersFile } from './users/file.js';
export type { ParseUsersFileOptions } from './users/file.js';
export { hashPassword, verifyPassword } from './users/passwords.js';
export { OUTPOST_INSTRUCTION } from './outpost/messages.js';
export type {
  DevOutpost, DevOutpostProvider, DevOutpostProviderPatch, DevOutpostRawPatch, DevOutpostSettings, DevProxyMode, OutpostApiCall,
  OutpostConnection, OutpostConnectionState, OutpostEventMessage, OutpostReceivedMessage,
} from './outpost/types.js';
export type {
  DevAppPassword, DevClient, DevClientAuthMethod, DevGroup, DevIdp, DevIdpEndpoint, DevIdpOptions, DevIdpTtl, DevUser, JsonObject, JsonValue,
  RotateKeysOptions, SignJwtOptions, UsersFile,
} from './types.js';
