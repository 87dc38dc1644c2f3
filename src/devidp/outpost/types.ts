/**
 * Public types of the mimic authentik outpost API and websocket the development IdP serves when
 * the users file has an `outpost` section. Field names of the served JSON follow authentik's
 * API (`ProxyOutpostConfig`, `Outpost`); the settings use the users file's camelCase.
 */

import type { JsonObject, JsonValue } from '../types.js';

/** authentik's `ProxyMode`. */
export type DevProxyMode = 'proxy' | 'forward_single' | 'forward_domain';

/** One proxy provider with its application, as `outpost.providers[]` of the users file. */
export interface DevOutpostProvider {
  /** `pk` of the ProxyOutpostConfig; unique. */
  readonly pk: number;
  /** The provider name (`name`, the `X-authentik-meta-provider` header); unique. */
  readonly name: string;
  /** Id of an entry of `clients:`; gives `client_id` and `client_secret`. */
  readonly client: string;
  /** `assigned_application_slug`; unique. */
  readonly slug: string;
  /** `assigned_application_name`; defaults to the slug. */
  readonly applicationName: string;
  readonly externalHost: string;
  /** `''` when the provider has none (forward modes). */
  readonly internalHost: string;
  readonly internalHostSslValidation: boolean;
  readonly mode: DevProxyMode;
  /** Newline-separated regular expressions, stored as-is like authentik does (not validated). */
  readonly skipPathRegex: string;
  readonly basicAuthEnabled: boolean;
  readonly basicAuthUserAttribute: string;
  readonly basicAuthPasswordAttribute: string;
  readonly interceptHeaderAuth: boolean;
  readonly cookieDomain: string;
  /** Seconds (authentik sends a float), or null. */
  readonly accessTokenValidity: number | null;
  /** `scopes_to_request`. */
  readonly scopes: readonly string[];
  /** PEM certificate file of the provider's TLS keypair; `''` = no `certificate`. Set together with `keyFile`. */
  readonly certificateFile: string;
  /** PEM private key file matching `certificateFile`. */
  readonly keyFile: string;
}

/** The `outpost:` section of the users file. */
export interface DevOutpostSettings {
  /** `Outpost.name` (the `X-authentik-meta-outpost` header). */
  readonly name: string;
  /** The outpost's API token (`AUTHENTIK_TOKEN`); a plaintext dev fixture. */
  readonly token: string;
  /** `Outpost.refresh_interval_s`. */
  readonly refreshIntervalS: number;
  readonly providers: readonly DevOutpostProvider[];
}

/** Fields `setProvider` may change; a new pk needs at least `name`, `client`, `slug` and `externalHost`. */
export type DevOutpostProviderPatch = Partial<Omit<DevOutpostProvider, 'pk'>>;

/**
 * Top-level fields to overwrite in one served ProxyOutpostConfig, as-is and unvalidated
 * (`{ mode: 'sideways' }`); `undefined` removes the field from the JSON.
 */
export type DevOutpostRawPatch = Readonly<Record<string, JsonValue | undefined>>;

/** One request to `/api/v3/*`. */
export interface OutpostApiCall {
  readonly method: string;
  /** The path without the query, e.g. `/api/v3/outposts/proxy/`. */
  readonly path: string;
  /** Query parameters (the last value of a repeated one). */
  readonly query: Readonly<Record<string, string>>;
  /** The Bearer token was the outpost's (even if `refuseToken` then refused it). */
  readonly tokenOk: boolean;
  /** `''` when the request had none. */
  readonly userAgent: string;
  /** The status the IdP answered with. */
  readonly status: number;
  readonly at: Date;
}

export type OutpostConnectionState = 'open' | 'closed' | 'refused';

/** One websocket handshake to `/ws/outpost/<pk>/`, accepted or refused. A snapshot: ask again for news. */
export interface OutpostConnection {
  /** Counts from 1 per IdP. */
  readonly id: number;
  /** The `instance_uuid` query parameter; null when missing. */
  readonly instanceUuid: string | null;
  /** The `attempt` query parameter (the outpost's reconnect counter); null when missing or not a number. */
  readonly attempt: number | null;
  readonly userAgent: string;
  /** Right token, known outpost pk and no `refuseToken`: the handshake was accepted. */
  readonly authorized: boolean;
  readonly state: OutpostConnectionState;
  readonly openedAt: Date;
  readonly closedAt: Date | null;
  /** The websocket close code (1006 after `dropConnections` or any drop); null while open or when refused. */
  readonly closeCode: number | null;
}

/** `{"instruction": n, "args": {...}}`, authentik's websocket message, both directions. */
export interface OutpostEventMessage {
  readonly instruction: number;
  readonly args: JsonObject;
}

/** One message the IdP received on an outpost websocket. */
export interface OutpostReceivedMessage {
  readonly connectionId: number;
  readonly instanceUuid: string | null;
  /** The frame as text. */
  readonly raw: string;
  /** Undefined when malformed. */
  readonly message: OutpostEventMessage | undefined;
  /** Not JSON, not `{instruction: integer, args: object}`, or a binary frame: ignored and not acknowledged. */
  readonly malformed: boolean;
  readonly at: Date;
}

/**
 * Test controls of the mimic outpost (`idp.outpost`). Methods that talk to sockets return how
 * many open sockets they reached.
 */
export interface DevOutpost {
  /** `Outpost.pk`: a UUID fixed for the IdP's lifetime. */
  readonly pk: string;
  readonly name: string;
  /** The API token the IdP accepts. */
  readonly token: string;
  /** What `AUTHENTIK_HOST` should be for a client: the IdP's base URL. */
  readonly authentikHost: string;
  /** The outpost's websocket URL without query (`ws://…/ws/outpost/<pk>/`). */
  readonly websocketUrl: string;
  /** The providers as currently configured (by pk), after `setProvider` and `removeProvider`. */
  providers(): readonly DevOutpostProvider[];
  /** The served `cookie_secret` of a provider: random, stable for the IdP's lifetime. */
  cookieSecret(pk: number): string;
  /** The served `certificate` (keypair UUID) of a provider, or null. */
  certificateOf(pk: number): string | null;
  /** Sends TRIGGER_UPDATE (`{"instruction":2,"args":{}}`). */
  triggerUpdate(): number;
  /** Sends SESSION_END (`{"instruction":4,"args":{"type":"event.session.end","session_id":…}}`). */
  endSession(sessionId: string): number;
  /** Sends a text frame as-is, e.g. malformed JSON. */
  sendRaw(text: string): number;
  /** Terminates every open socket without a close frame, like a network drop. */
  dropConnections(): number;
  connections(): readonly OutpostConnection[];
  messages(): readonly OutpostReceivedMessage[];
  apiCalls(): readonly OutpostApiCall[];
  /** Forgets API calls, messages and closed or refused connections (open ones stay listed). */
  resetRecords(): void;
  /** The first connection (already recorded or future) matching; rejects after `timeoutMs` (default 5000). */
  waitForConnection(predicate?: (connection: OutpostConnection) => boolean, timeoutMs?: number): Promise<OutpostConnection>;
  /** The first received message (already recorded or future) matching; rejects after `timeoutMs` (default 5000). */
  waitForMessage(predicate: (message: OutpostReceivedMessage) => boolean, timeoutMs?: number): Promise<OutpostReceivedMessage>;
  /**
   * Changes a provider's fields, or adds one when the pk is new; validated like the users file
   * (ValidationError PCL_USERS_INVALID). Relative PEM paths are relative to the working directory.
   */
  setProvider(pk: number, patch: DevOutpostProviderPatch): Promise<void>;
  removeProvider(pk: number): void;
  /** Overwrites fields of the provider's served JSON as-is; patches accumulate until the provider is removed. */
  patchRaw(pk: number, patch: DevOutpostRawPatch): void;
  /** While on, every API call and websocket handshake gets 403, as if the token were revoked. */
  refuseToken(on: boolean): void;
  /** Every `/api/v3/*` call answers this status until `failApi(null)` or `idp.clearFaults()`. */
  failApi(status: number | null): void;
}
