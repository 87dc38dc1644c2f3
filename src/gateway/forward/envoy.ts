/**
 * Envoy `ext_authz` (HTTP service), as authentik's outpost serves it: Envoy sends the
 * original method, the original path with `path_prefix` (`/outpost.goauthentik.io/auth/envoy`)
 * in front, the original `Host`, `Authorization` and the headers listed in `allowed_headers`.
 * A 200 allows, and the headers matching `allowed_upstream_headers` go upstream; any other
 * status goes to the client with its body and `allowed_client_headers`, except a 5xx, which
 * Envoy treats as a failed authorization service (403, or an ALLOW with `failure_mode_allow`).
 * Hence no 5xx here, ever, and `x-envoy-auth-headers-to-remove` to keep a consumed
 * credential from the upstream.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/ext_authz/v3/ext_authz.proto
 */

import type { ForwardFlavour } from './endpoints.js';
import { hostOf } from '../context.js';
import { ok, parseHost, parseRequestTarget, problem } from './original.js';

export const ENVOY_PATH_PREFIX = '/outpost.goauthentik.io/auth/envoy';

export const envoyFlavour: ForwardFlavour = {
  name: 'envoy',
  paths: [ENVOY_PATH_PREFIX, `${ENVOY_PATH_PREFIX}/*`],
  original(request) {
    // The raw target, not the routing hook's normalized path: `..` in the original path must
    // not climb out of the prefix before the original path is even separated from it.
    const target = parseRequestTarget('the original path', (request.raw.url ?? '').slice(ENVOY_PATH_PREFIX.length));
    if (!target.ok) {
      return problem(`${target.problem} (expected ${ENVOY_PATH_PREFIX} as path_prefix, followed by the original path)`);
    }
    const host = parseHost('Host', hostOf(request));
    return host.ok ? ok({ method: request.method, host: host.value, ...target.value }) : host;
  },
  rendering: {
    login: 'redirect',
    outage: 'unauthorized',
    onlyUnauthorizedOrForbidden: false,
    joinChallenges: false,
    failClosed: true,
    removeConsumedCredential: true,
  },
};
