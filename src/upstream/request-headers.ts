/**
 * The header rewrite applied to every request Portcullis forwards upstream. Pure: it reads
 * the incoming header map and returns a new one.
 */

import type { Identity } from '../auth/index.js';
import type { UpstreamBasicAuthConfig } from '../config/index.js';
import { removeCookie } from '../sessions/index.js';
import { upstreamBasicAuthorization } from './basic-injection.js';
import { attributeHeaders, type RefusedHeader } from './attribute-headers.js';
import { identityHeaderEntries, type HeaderEntries, type OutpostMeta } from './identity-headers.js';

export type HeaderMap = Record<string, string | string[] | undefined>;

/** What the gateway learned about the connection, with `trustedProxies` already applied. */
export interface ForwardingFacts {
  /** The TCP peer's address. */
  readonly peerAddress: string;
  /** Whether the TCP peer is one of `trustedProxies`, whose X-Forwarded-* are believed. */
  readonly peerTrusted: boolean;
  /** The client address after `trustedProxies` handling. */
  readonly clientAddress: string;
  readonly proto: 'http' | 'https';
  /** The host the client asked for (Host, or X-Forwarded-Host from a trusted proxy). */
  readonly host: string;
}

export interface UpstreamHeaderPlan {
  /** Static `additionalHeaders`, lower-cased names; validated at config load. */
  readonly additional: readonly (readonly [string, string])[];
  readonly meta: OutpostMeta;
  readonly basicAuth: UpstreamBasicAuthConfig;
  /**
   * The Host the upstream gets: null for internalHost's (the default); otherwise externalHost's
   * name, kept with the client's port when the client asked for that name, and used as it is
   * when the client asked for any other (a single application answers every Host).
   */
  readonly preserveHost: { readonly hostname: string; readonly authority: string } | null;
  /** Told once per identity of entries of its `additionalHeaders` attribute that were refused. */
  readonly onRefusedHeaders?: (identity: Identity, refused: readonly RefusedHeader[]) => void;
}

/** What the decision contributes to the upstream request. */
export interface UpstreamIdentity {
  /** Null on skip paths: no identity headers are set (and the client's are still removed). */
  readonly identity: Identity | null;
  /** Remove the client's `Authorization` (Portcullis consumed it, or owns it by `intercept`). */
  readonly stripAuthorization: boolean;
  /** Portcullis's session cookie name, removed from `Cookie`; null to leave `Cookie` alone. */
  readonly sessionCookie: string | null;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) and credentials meant for this proxy, never relayed.
// `expect` too: the gateway answers `100-continue` itself once the request is allowed, and the
// upstream gets the body outright.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'expect']);

// Forwarding headers only a trusted proxy may set; from anyone else they are spoofing.
const FORWARDING = new Set(['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-prefix', 'x-forwarded-uri', 'x-forwarded-method', 'x-original-uri', 'x-original-url', 'x-real-ip']);

// Set by Portcullis on every forwarded request, whatever the client sent.
const SET_HERE = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip']);

export function prepareUpstreamPlan(
  application: {
    readonly externalHost: string;
    readonly additionalHeaders: Readonly<Record<string, string>>;
    readonly upstreamBasicAuth: UpstreamBasicAuthConfig;
    readonly preserveHost: boolean;
  },
  meta: OutpostMeta,
  onRefusedHeaders?: UpstreamHeaderPlan['onRefusedHeaders'],
): UpstreamHeaderPlan {
  const external = application.preserveHost ? new URL(application.externalHost) : null;
  return {
    additional: Object.entries(application.additionalHeaders).map(([name, value]) => [name.toLowerCase(), value] as const),
    meta,
    basicAuth: application.upstreamBasicAuth,
    preserveHost: external === null ? null : { hostname: external.hostname, authority: external.host },
    ...(onRefusedHeaders === undefined ? {} : { onRefusedHeaders }),
  };
}

/**
 * The extra headers an allowed request carries besides the identity headers: the static
 * `additionalHeaders`, then (with an identity) those of its `additionalHeaders` attribute, set
 * after them (DESIGN.md §5), so per-user values (attributes are the IdP admin's to set) refine
 * the application's defaults.
 */
export function extraHeaderEntries(plan: UpstreamHeaderPlan, identity: Identity | null): HeaderEntries {
  if (identity === null) return plan.additional;
  const fromAttribute = attributeHeaders(identity, plan.onRefusedHeaders).entries;
  return fromAttribute.length === 0 ? plan.additional : [...plan.additional, ...fromAttribute];
}

/**
 * The headers the upstream receives: the client's, without what must never reach the upstream,
 * plus the forwarding headers, `additionalHeaders`, the identity headers and the upstream's own
 * Basic credentials. Built as a new object in one pass over the client's headers: this runs
 * for every forwarded request, and an object that never sees `delete` keeps V8's fast shape
 * (undici walks it again to serialize it).
 */
export function rewriteUpstreamHeaders(
  headers: HeaderMap,
  plan: UpstreamHeaderPlan,
  facts: ForwardingFacts,
  decided: UpstreamIdentity,
): HeaderMap {
  const listed = headers.connection === undefined ? null : connectionTokens(headers.connection);
  const out: HeaderMap = {};
  for (const name of Object.keys(headers)) {
    if (
      HOP_BY_HOP.has(name) ||
      SET_HERE.has(name) ||
      // Identity headers are Portcullis's to set; `_` variants are dropped because some
      // servers (CGI, WSGI, PHP) map `X_Authentik_Username` onto the same variable.
      name.startsWith('x-authentik-') ||
      name.includes('_') ||
      (!facts.peerTrusted && FORWARDING.has(name)) ||
      // `Connection: host` must not cost the upstream its Host.
      (listed !== null && name !== 'host' && listed.includes(name)) ||
      (name === 'authorization' && decided.stripAuthorization)
    ) {
      continue;
    }
    const value = headers[name];
    if (name === 'cookie' && decided.sessionCookie !== null && typeof value === 'string') {
      const rest = removeCookie(value, decided.sessionCookie);
      if (rest !== '') {
        out.cookie = rest;
      }
      continue;
    }
    out[name] = value;
  }
  const incomingXff = facts.peerTrusted ? joinValues(headers['x-forwarded-for']) : '';
  out['x-forwarded-for'] = incomingXff === '' ? facts.peerAddress : `${incomingXff}, ${facts.peerAddress}`;
  out['x-forwarded-proto'] = facts.proto;
  out['x-forwarded-host'] = facts.host;
  out['x-real-ip'] = facts.clientAddress;
  if (plan.preserveHost !== null) {
    // The client's Host only when it names the application: with one application any Host is
    // served, and a forged one must not reach the upstream (reset links, caches).
    out.host = hostnameOf(facts.host) === plan.preserveHost.hostname ? facts.host : plan.preserveHost.authority;
  }
  for (const [name, value] of extraHeaderEntries(plan, decided.identity)) {
    out[name] = value;
  }
  if (decided.identity !== null) {
    for (const [name, value] of identityHeaderEntries(decided.identity, plan.meta)) {
      out[name] = value;
    }
    if (plan.basicAuth.enabled) {
      const authorization = upstreamBasicAuthorization(decided.identity, plan.basicAuth);
      if (authorization !== null) {
        out.authorization = authorization;
      }
    }
  }
  return out;
}

/** `host[:port]` without its port, lower case (`[::1]:80` → `[::1]`). */
function hostnameOf(host: string): string {
  const lower = host.toLowerCase();
  const close = lower.lastIndexOf(']');
  const colon = lower.lastIndexOf(':');
  return colon > close ? lower.slice(0, colon) : lower;
}

/**
 * `Connection` values that list only a name both rewrites drop anyway (keep-alive, upgrade):
 * most keep-alive requests carry one, and splitting it would cost arrays on every request.
 */
const ONLY_HOP_BY_HOP = new Set(['keep-alive', 'Keep-Alive', 'upgrade', 'Upgrade']);
const NO_TOKENS: readonly string[] = [];

/** The header names a `Connection` field lists (RFC 9110 §7.6.1), lower case. */
export function connectionTokens(value: string | string[]): readonly string[] {
  if (typeof value === 'string' && ONLY_HOP_BY_HOP.has(value)) {
    return NO_TOKENS;
  }
  const tokens: string[] = [];
  for (const part of joinValues(value).split(',')) {
    const token = part.trim().toLowerCase();
    if (token !== '') tokens.push(token);
  }
  return tokens;
}

function joinValues(value: string | string[] | undefined): string {
  if (value === undefined) {
    return '';
  }
  return Array.isArray(value) ? value.join(', ') : value;
}
