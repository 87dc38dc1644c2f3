/**
 * nginx `auth_request`: the subrequest is a GET that carries the client's headers; the
 * original URL comes from `X-Original-URL` (scheme://host/path?query) or `X-Original-URI`
 * (path?query, host from the routing host), the original method from `X-Original-Method`
 * when the snippet sends it. nginx acts on 2xx, 401 and 403 only, so a login is a 401 that
 * names the login URL and an outage a 401 with `Retry-After` (the documented snippet turns them
 * into a 302 and a 503).
 *
 * @see https://nginx.org/en/docs/http/ngx_http_auth_request_module.html
 */

import type { ForwardFlavour } from './endpoints.js';
import { hostOf } from '../context.js';
import { headerLines } from '../header-lines.js';
import { ok, optionalHeader, parseAbsoluteUrl, parseHost, parseMethod, parseRequestTarget, problem } from './original.js';

export const nginxFlavour: ForwardFlavour = {
  name: 'nginx',
  paths: ['/outpost.goauthentik.io/auth/nginx'],
  original(request, peerTrusted) {
    if (!peerTrusted) {
      return problem('X-Original-URL and X-Original-URI are believed only from trustedProxies, and this peer is not one');
    }
    // Each header in turn, the first refusal answering (a decision on every request: no
    // intermediate objects).
    const method = optionalHeader('X-Original-Method', headerLines(request.raw, 'x-original-method'), parseMethod, request.method);
    if (!method.ok) return method;
    const url = optionalHeader('X-Original-URL', headerLines(request.raw, 'x-original-url'), parseAbsoluteUrl, null);
    if (!url.ok) return url;
    const uri = optionalHeader('X-Original-URI', headerLines(request.raw, 'x-original-uri'), parseRequestTarget, null);
    if (!uri.ok) return uri;
    const routed = parseHost('Host', hostOf(request));
    if (!routed.ok) return routed;
    const absolute = url.value;
    const relative = uri.value;
    if (absolute !== null) {
      if (relative !== null && relative.rawPath + relative.query !== absolute.rawPath + absolute.query) {
        return problem('X-Original-URL and X-Original-URI name different paths');
      }
      return ok({ method: method.value, host: absolute.host, rawPath: absolute.rawPath, query: absolute.query });
    }
    if (relative === null) {
      return problem('X-Original-URL or X-Original-URI is missing');
    }
    return ok({ method: method.value, host: routed.value, rawPath: relative.rawPath, query: relative.query });
  },
  rendering: {
    login: 'unauthorized',
    outage: 'unauthorized',
    onlyUnauthorizedOrForbidden: true,
    joinChallenges: true,
    failClosed: true,
    removeConsumedCredential: false,
  },
};
