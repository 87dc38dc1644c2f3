/**
 * Finds the application a request is for by its host. Exact `host[:port]` of an
 * application's externalHost wins, then the bare hostname, then (forward_domain) any host
 * under the application's cookieDomain at a dot boundary.
 */

import { BoundedMemo } from '../memo/index.js';
import type { PreparedApplication } from './application.js';
import { endpointOf } from './request-target.js';

export interface HostRouter {
  /** `host` as the client sent it (Host, or X-Forwarded-Host from a trusted proxy). */
  resolve(host: string): PreparedApplication | undefined;
  /** How many applications it routes to (0 while a configuration source has delivered none). */
  readonly size: number;
  /**
   * The application whose externalHost is exactly `endpoint` (`host:port`, default port written
   * out): the authority of an absolute-form target must name one, with no fallback.
   */
  atEndpoint(endpoint: string): PreparedApplication | undefined;
}

// RFC 3986 reg-name / IPv4 / bracketed IPv6, with an optional port. Anything else cannot
// name an application and is answered with 400 before any lookup.
const HOST_SYNTAX = /^(?:[a-z0-9._~!$&'()*+,;=-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * `host[:port]` in lower case without a trailing dot, or null when it cannot name an
 * application. Routing and every forward-auth decision normalize one or two hosts per request,
 * nearly always the same few spellings: answers are remembered per spelling. Bounded, so a
 * client inventing hosts cannot grow it: when full it starts over.
 */
export function normalizeHost(host: string): string | null {
  const known = normalized.get(host);
  if (known !== undefined) {
    return known;
  }
  const lower = host.trim().toLowerCase();
  const answer = lower === '' || lower.length > 255 || !HOST_SYNTAX.test(lower) ? null : lower.replace(/\.(?=(:\d+)?$)/, '');
  return normalized.remember(host, answer);
}

const MAX_REMEMBERED_HOSTS = 1024;
const normalized = new BoundedMemo<string, string | null>(MAX_REMEMBERED_HOSTS);

function hostnameOf(host: string): string {
  if (host.startsWith('[')) {
    return host.slice(0, host.indexOf(']') + 1);
  }
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

export function createHostRouter(applications: readonly PreparedApplication[]): HostRouter {
  const byHost = new Map<string, PreparedApplication>();
  const byHostname = new Map<string, PreparedApplication>();
  const domains: { suffix: string; bare: string; app: PreparedApplication }[] = [];
  for (const app of applications) {
    const url = new URL(app.origin);
    byHost.set(url.host, app);
    if (!byHostname.has(url.hostname)) {
      byHostname.set(url.hostname, app);
    }
    if (app.config.mode === 'forward_domain' && app.config.cookieDomain !== '') {
      const bare = app.config.cookieDomain.replace(/^\./, '').toLowerCase();
      domains.push({ suffix: `.${bare}`, bare, app });
    }
  }
  // Longest domain first, so `a.example.com` wins over `example.com`.
  domains.sort((a, b) => b.suffix.length - a.suffix.length);
  const only = applications.length === 1 ? applications[0] : undefined;
  const byEndpoint = new Map(applications.map((app) => [endpointOf(new URL(app.origin)), app] as const));

  const lookup = (rawHost: string): PreparedApplication | undefined => {
    const host = normalizeHost(rawHost);
    if (host === null) {
      return undefined;
    }
    const exact = byHost.get(host);
    if (exact !== undefined) {
      return exact;
    }
    const hostname = hostnameOf(host);
    const named = byHostname.get(hostname);
    if (named !== undefined) {
      return named;
    }
    // With one application every well-formed Host is its (DESIGN.md §5, as authentik's outpost):
    // probes and clients that reach the pod by address still get the application.
    return domains.find((d) => hostname === d.bare || hostname.endsWith(d.suffix))?.app ?? only;
  };
  // Every request is routed, nearly always by one of a few Host spellings: answers are
  // remembered per spelling.
  const answers = new BoundedMemo<string, PreparedApplication | null>(MAX_REMEMBERED_HOSTS);
  return {
    size: applications.length,
    atEndpoint: (endpoint) => byEndpoint.get(endpoint),
    resolve(rawHost) {
      const known = answers.get(rawHost);
      if (known !== undefined) {
        return known ?? undefined;
      }
      return answers.remember(rawHost, lookup(rawHost) ?? null) ?? undefined;
    },
  };
}
