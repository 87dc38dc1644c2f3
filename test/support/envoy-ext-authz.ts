/**
 * Envoy's `ext_authz` HTTP filter with an HTTP authorization service, reproduced for tests
 * (Envoy is not packaged in Debian). The check request and the handling of its answer follow
 * envoyproxy/envoy source/extensions/filters/common/ext_authz/ext_authz_http_impl.cc
 * (`ClientConfig::toRequestMatchers`, `toClientMatchers`, `RawHttpClientImpl::check`,
 * `toResponse`) and source/extensions/filters/http/ext_authz/ext_authz.cc (`onComplete`):
 *
 * - The check request has the original method, `path_prefix` + the original path (query
 *   included), `Content-Length: 0`, and the original headers matching `allowed_headers` plus
 *   the ones always sent: `Host` (:authority), `Authorization`.
 * - 200: the answer's headers matching `allowed_upstream_headers` are set on the upstream
 *   request, then the headers named in `x-envoy-auth-headers-to-remove` are removed; headers
 *   matching `allowed_client_headers_on_success` are added to the client's response.
 * - 5xx (or no answer): an error, answered with `status_on_error` (403) unless
 *   `failure_mode_allow`, which lets the request through.
 * - Anything else: denied; the client gets the status, the body and the headers matching
 *   `allowed_client_headers` (all but Host when the list is empty; with a list, also Status,
 *   Content-Length, WWW-Authenticate and Location).
 */

import { request } from 'undici';

interface StringMatcher {
  readonly exact?: string;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly contains?: string;
  readonly ignore_case?: boolean;
}

export interface ExtAuthzConfig {
  readonly pathPrefix: string;
  readonly failureModeAllow: boolean;
  readonly statusOnError: number;
  readonly allowedHeaders: readonly StringMatcher[];
  readonly allowedUpstreamHeaders: readonly StringMatcher[];
  readonly allowedClientHeaders: readonly StringMatcher[];
  readonly allowedClientHeadersOnSuccess: readonly StringMatcher[];
}

interface Patterns {
  readonly patterns?: readonly StringMatcher[];
}

interface ExtAuthzYaml {
  readonly failure_mode_allow?: boolean;
  readonly status_on_error?: { readonly code?: number };
  readonly http_service?: {
    readonly path_prefix?: string;
    readonly authorization_request?: { readonly allowed_headers?: Patterns };
    readonly authorization_response?: {
      readonly allowed_upstream_headers?: Patterns;
      readonly allowed_client_headers?: Patterns;
      readonly allowed_client_headers_on_success?: Patterns;
    };
  };
}

/** The ext_authz filter's configuration, found by name anywhere in a parsed Envoy configuration. */
export function extAuthzConfig(envoy: unknown): ExtAuthzConfig {
  const filter = findFilter(envoy, 'envoy.filters.http.ext_authz');
  if (filter === undefined) {
    throw new Error('no envoy.filters.http.ext_authz filter in the configuration');
  }
  const service = filter.http_service ?? {};
  const response = service.authorization_response ?? {};
  return {
    pathPrefix: service.path_prefix ?? '',
    failureModeAllow: filter.failure_mode_allow ?? false,
    statusOnError: filter.status_on_error?.code ?? 403,
    allowedHeaders: service.authorization_request?.allowed_headers?.patterns ?? [],
    allowedUpstreamHeaders: response.allowed_upstream_headers?.patterns ?? [],
    allowedClientHeaders: response.allowed_client_headers?.patterns ?? [],
    allowedClientHeadersOnSuccess: response.allowed_client_headers_on_success?.patterns ?? [],
  };
}

function findFilter(node: unknown, name: string): ExtAuthzYaml | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findFilter(item, name);
      if (found !== undefined) return found;
    }
  } else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (record.name === name && record.typed_config !== undefined) return record.typed_config as ExtAuthzYaml;
    for (const value of Object.values(record)) {
      const found = findFilter(value, name);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function matches(matchers: readonly StringMatcher[], key: string): boolean {
  return matchers.some((m) => {
    const value = m.ignore_case === true ? key.toLowerCase() : key;
    const norm = (s: string): string => (m.ignore_case === true ? s.toLowerCase() : s);
    if (m.exact !== undefined) return value === norm(m.exact);
    if (m.prefix !== undefined) return value.startsWith(norm(m.prefix));
    if (m.suffix !== undefined) return value.endsWith(norm(m.suffix));
    if (m.contains !== undefined) return value.includes(norm(m.contains));
    return false;
  });
}

export interface DownstreamRequest {
  readonly method: string;
  /** :authority */
  readonly host: string;
  /** :path, query included */
  readonly path: string;
  /** Names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export type EnvoyResult =
  | { readonly kind: 'respond'; readonly status: number; readonly headers: Record<string, string | string[]>; readonly body: string }
  | { readonly kind: 'forward'; readonly upstreamHeaders: Record<string, string>; readonly responseHeaders: readonly (readonly [string, string])[] };

const ALWAYS_SENT: readonly StringMatcher[] = [{ exact: 'authorization' }];

/** The check request Envoy sends to the authorization service (RawHttpClientImpl::check). */
export function checkRequest(config: ExtAuthzConfig, downstream: DownstreamRequest): { method: string; path: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'content-length': '0', host: downstream.host };
  for (const [name, value] of Object.entries(downstream.headers)) {
    if (name !== 'content-length' && name !== 'host' && matches([...config.allowedHeaders, ...ALWAYS_SENT], name)) headers[name] = value;
  }
  return { method: downstream.method, path: `${config.pathPrefix}${downstream.path}`, headers };
}

/** Runs the filter against the authorization service at `origin`. */
export async function envoyExtAuthz(config: ExtAuthzConfig, origin: string, downstream: DownstreamRequest): Promise<EnvoyResult> {
  const check = checkRequest(config, downstream);
  let answer;
  try {
    answer = await request(`${origin}${check.path}`, { method: check.method as 'GET', headers: check.headers });
  } catch {
    return onError(config, downstream);
  }
  const body = await answer.body.text();
  const headers = answer.headers as Record<string, string | string[]>;
  if (answer.statusCode >= 500) {
    return onError(config, downstream);
  }
  const lines = Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value.map((v) => [name, v] as const) : [[name, value] as const]));
  if (answer.statusCode === 200) {
    const upstreamHeaders: Record<string, string> = { ...downstream.headers, host: downstream.host };
    for (const [name, value] of lines) {
      if (matches(config.allowedUpstreamHeaders, name)) upstreamHeaders[name] = value;
    }
    const toRemove = lines.filter(([name]) => name === 'x-envoy-auth-headers-to-remove').flatMap(([, value]) => value.split(',').map((v) => v.trim().toLowerCase()));
    for (const name of toRemove) {
      if (name !== '' && !name.startsWith(':') && name !== 'host') delete upstreamHeaders[name];
    }
    return { kind: 'forward', upstreamHeaders, responseHeaders: lines.filter(([name]) => matches(config.allowedClientHeadersOnSuccess, name)) };
  }
  const clientMatchers = config.allowedClientHeaders;
  const allowed = (name: string): boolean =>
    clientMatchers.length === 0 ? name !== 'host' : matches([...clientMatchers, { exact: 'content-length' }, { exact: 'www-authenticate' }, { exact: 'location' }], name);
  const clientHeaders: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (allowed(name)) clientHeaders[name] = value;
  }
  return { kind: 'respond', status: answer.statusCode, headers: clientHeaders, body };
}

function onError(config: ExtAuthzConfig, downstream: DownstreamRequest): EnvoyResult {
  if (config.failureModeAllow) {
    return { kind: 'forward', upstreamHeaders: { ...downstream.headers, host: downstream.host }, responseHeaders: [] };
  }
  return { kind: 'respond', status: config.statusOnError, headers: {}, body: '' };
}
