/**
 * Public types of the development IdP. The users file types are the validated, immutable shape
 * of `users.yaml`; the runtime types describe the handle tests get from `startDevIdp`.
 */

import type { DevOutpost, DevOutpostSettings } from './outpost/types.js';

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

/** An authentik "app password": a token with intent `app_password`, usable as a Basic password. */
export interface DevAppPassword {
  readonly name: string;
  /** `hashPassword` output; the plaintext never appears in the file. */
  readonly hash: string;
}

export interface DevUser {
  readonly username: string;
  /** The `sub` claim. Defaults to a stable hash of the username (authentik's `hashed_user_id` shape). */
  readonly uid: string;
  readonly email: string;
  readonly name: string;
  /** Login-form password hash; absent means the user cannot use the login form or the password grant with it. */
  readonly password?: string;
  readonly active: boolean;
  readonly groups: readonly string[];
  readonly entitlements: readonly string[];
  readonly attributes: JsonObject;
  readonly appPasswords: readonly DevAppPassword[];
}

export interface DevGroup {
  readonly name: string;
  readonly attributes: JsonObject;
  /** authentik's `is_superuser` group flag; members get `ak_proxy.is_superuser: true`. */
  readonly superuser: boolean;
}

/** Client authentication methods the IdP can take at its token endpoint (RFC 6749 §2.3, OpenID Connect Core §9). */
export type DevClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface DevClient {
  readonly id: string;
  readonly secret: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  /** Empty string: the client does not take back-channel logout tokens. */
  readonly backchannelLogoutUri: string;
  /**
   * The client's registered method (oidc-provider's `token_endpoint_auth_method`). Default
   * `client_secret_basic`. oidc-provider takes a secret in either place from a client registered
   * for either secret method: to refuse `client_secret_post`, leave it out of the IdP's
   * `clientAuthMethods`. `private_key_jwt` needs `jwks`; `none` is a public client.
   */
  readonly tokenEndpointAuthMethod?: DevClientAuthMethod;
  /** Public keys (a JWK Set) verifying the client's `private_key_jwt` assertions. */
  readonly jwks?: JsonObject;
  /** Sign this client's UserInfo answers (`application/jwt`) with the IdP's key; only `RS256`. */
  readonly userinfoSignedResponseAlg?: 'RS256';
}

export interface UsersFile {
  readonly users: readonly DevUser[];
  readonly groups: readonly DevGroup[];
  readonly clients: readonly DevClient[];
  /** Present: the IdP also serves a mimic of authentik's outpost API and websocket. */
  readonly outpost?: DevOutpostSettings;
}

/** The endpoints the IdP counts calls for and can inject faults into. */
export type DevIdpEndpoint =
  | 'discovery'
  | 'jwks'
  | 'authorization'
  | 'token'
  | 'introspection'
  | 'revocation'
  | 'userinfo'
  | 'end_session'
  | 'interaction'
  /** Every `/api/v3/*` request of the mimic outpost API. */
  | 'outpost_api';

export interface DevIdpTtl {
  /** Seconds. Default 600. */
  readonly accessToken?: number;
  /** Seconds. Default 600. */
  readonly idToken?: number;
  /** Seconds. Default 30 days. */
  readonly refreshToken?: number;
}

export interface DevIdpOptions {
  /** A validated users file, or the path of a YAML users file. */
  readonly users: UsersFile | string;
  /** Default `127.0.0.1`. Anything but a loopback address is refused unless `allowNonLoopback`. */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  readonly allowNonLoopback?: boolean;
  /**
   * Default `http://<host>:<port>`. May carry a path, authentik style
   * (`http://127.0.0.1:9100/application/o/portcullis/`): the issuer is used verbatim and every
   * endpoint lives under that path.
   */
  readonly issuerUrl?: string;
  /**
   * A path for the default issuer, for an authentik-shaped issuer on an ephemeral port:
   * `/application/o/portcullis/` gives `http://127.0.0.1:<port>/application/o/portcullis/`.
   * Ignored when `issuerUrl` is set.
   */
  readonly issuerPath?: string;
  readonly ttl?: DevIdpTtl;
  readonly logger?: (line: string) => void;
  /**
   * Lean ID tokens (OpenID Connect Core §5.4, oidc-provider's `conformIdTokenClaims`): ID tokens
   * carry `sub` and the protocol claims only, and profile, email, groups and `ak_proxy` come from
   * UserInfo. Access tokens keep their claims. Default false (authentik's full ID tokens).
   */
  readonly leanIdTokens?: boolean;
  /**
   * The client authentication methods the token, introspection and revocation endpoints take, in
   * the order discovery lists them. Default `['client_secret_basic', 'client_secret_post']`;
   * `['client_secret_basic']` refuses secrets in the body. Methods clients are registered with
   * (`private_key_jwt`, `none`) are added.
   */
  readonly clientAuthMethods?: readonly DevClientAuthMethod[];
}

export interface RotateKeysOptions {
  /** Keep the key being replaced in the JWKS (a normal rotation overlap). Default false. */
  readonly keepPrevious?: boolean;
}

export interface SignJwtOptions {
  /** Default: the current signing key's kid. */
  readonly kid?: string;
  /** Default `at+jwt`. */
  readonly typ?: string;
  /** Sign with a fresh key the IdP never published (same kid unless `kid` says otherwise). */
  readonly foreignKey?: boolean;
}

export interface DevIdp {
  /** Exactly the `issuer` of the discovery document. */
  readonly issuer: string;
  /** Base URL of the listener, `http://host:port`, without a trailing slash. */
  readonly url: string;
  /** Requests seen since start or `resetCalls`, for one endpoint or (without argument) in total. */
  calls(endpoint?: DevIdpEndpoint): number;
  resetCalls(): void;
  /** New RS256 key with a new kid for everything issued from now on. */
  rotateKeys(options?: RotateKeysOptions): Promise<void>;
  /** kids currently published in the JWKS, signing key first. */
  keyIds(): readonly string[];
  /** An inactive user can neither log in nor use grants; their tokens introspect as inactive. */
  setUserActive(username: string, active: boolean): void;
  revokeAppPassword(username: string, name: string): void;
  /** Answer every request to the endpoint with this status until `clearFaults`. */
  failEndpoint(endpoint: DevIdpEndpoint, status: number): void;
  /** Delay every answer of the endpoint by `ms` until `clearFaults`. */
  stallEndpoint(endpoint: DevIdpEndpoint, ms: number): void;
  clearFaults(): void;
  /** Sign an arbitrary payload as-is, for negative tests (wrong audience, expired, foreign key...). */
  signJwt(payload: Readonly<Record<string, unknown>>, options?: SignJwtOptions): Promise<string>;
  /** The user claims the IdP puts in tokens for all scopes (`sub`, `preferred_username`, `ak_proxy`...). */
  userClaims(username: string): Record<string, unknown>;
  /**
   * The `sid` values of the user's live browser sessions: what their code-flow ID and access
   * tokens carry and what authentik's SESSION_END names (`outpost.endSession(sid)`).
   */
  sessionIdsOf(username: string): readonly string[];
  /**
   * The mimic authentik outpost. Throws PCL_USAGE when the users file has no `outpost` section;
   * `hasOutpost` tells without throwing.
   */
  readonly outpost: DevOutpost;
  readonly hasOutpost: boolean;
  close(): Promise<void>;
}
