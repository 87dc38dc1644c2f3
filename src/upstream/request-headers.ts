/**
 * The header rewrite applied to every request Portcullis forwards upstream. Pure: it takes
 * the incoming header map (a copy the caller owns) and returns it rewritten.
 */

import type { Identity } from '../auth/index.js';
import type { UpstreamBasicAuthConfig } from '../config/index.js';
import { removeCookie } from '../sessions/index.js';
import { upstreamBasicAuthorization } from './basic-injection.js';
import { identityHeaders, type OutpostMeta } from './identity-headers.js';

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
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate'];

// Forwarding headers only a trusted proxy may set; from anyone else they are spoofing.
const FORWARDING = ['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-prefix', 'x-forwarded-uri', 'x-forwarded-method', 'x-original-uri', 'x-original-url', 'x-real-ip'];

export function prepareUpstreamPlan(
  additionalHeaders: Readonly<Record<string, string>>,
  basicAuth: UpstreamBasicAuthConfig,
  meta: OutpostMeta,
): UpstreamHeaderPlan {
  return {
    additional: Object.entries(additionalHeaders).map(([name, value]) => [name.toLowerCase(), value] as const),
    meta,
    basicAuth,
  };
}

/**
 * Strips what must never reach the upstream and sets the forwarding headers.
 * `keepUpgrade` preserves `Connection: upgrade` / `Upgrade` for a WebSocket handshake.
 */
export function rewriteUpstreamHeaders(
  headers: HeaderMap,
  plan: UpstreamHeaderPlan,
  facts: ForwardingFacts,
  decided: UpstreamIdentity,
): HeaderMap {
  for (const name of connectionListed(headers.connection)) {
    delete headers[name];
  }
  for (const name of HOP_BY_HOP) {
    delete headers[name];
  }
  const incomingXff = facts.peerTrusted ? joinValues(headers['x-forwarded-for']) : undefined;
  for (const name of Object.keys(headers)) {
    // Identity headers are Portcullis's to set; `_` variants are dropped because some
    // servers (CGI, WSGI, PHP) map `X_Authentik_Username` onto the same variable.
    if (name.startsWith('x-authentik-') || name.includes('_')) {
      delete headers[name];
    }
  }
  if (!facts.peerTrusted) {
    for (const name of FORWARDING) {
      delete headers[name];
    }
  }
  headers['x-forwarded-for'] = incomingXff ? `${incomingXff}, ${facts.peerAddress}` : facts.peerAddress;
  headers['x-forwarded-proto'] = facts.proto;
  headers['x-forwarded-host'] = facts.host;
  headers['x-real-ip'] = facts.clientAddress;
  if (decided.stripAuthorization) {
    delete headers.authorization;
  }
  if (decided.sessionCookie !== null && typeof headers.cookie === 'string') {
    const rest = removeCookie(headers.cookie, decided.sessionCookie);
    if (rest === '') {
      delete headers.cookie;
    } else {
      headers.cookie = rest;
    }
  }
  for (const [name, value] of plan.additional) {
    headers[name] = value;
  }
  if (decided.identity !== null) {
    Object.assign(headers, identityHeaders(decided.identity, plan.meta));
    if (plan.basicAuth.enabled) {
      const authorization = upstreamBasicAuthorization(decided.identity, plan.basicAuth);
      if (authorization !== null) {
        headers.authorization = authorization;
      }
    }
  }
  return headers;
}

function connectionListed(value: string | string[] | undefined): string[] {
  if (value === undefined) {
    return [];
  }
  return joinValues(value)
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '' && token !== 'host');
}

function joinValues(value: string | string[] | undefined): string {
  if (value === undefined) {
    return '';
  }
  return Array.isArray(value) ? value.join(', ') : value;
}
