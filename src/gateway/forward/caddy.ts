/**
 * Caddy `forward_auth`: a `reverse_proxy` to the auth endpoint with the method rewritten to
 * GET, `X-Forwarded-Method` and `X-Forwarded-Uri` added, and reverse_proxy's own
 * `X-Forwarded-Proto` / `X-Forwarded-Host` (caddy modules/caddyhttp/reverseproxy/forwardauth).
 * The same contract as Traefik's; any non-2xx answer goes to the client as it is.
 *
 * @see https://caddyserver.com/docs/caddyfile/directives/forward_auth
 */

import type { ForwardFlavour } from './endpoints.js';
import { forwardedOriginal, traefikFlavour } from './traefik.js';

export const caddyFlavour: ForwardFlavour = {
  name: 'caddy',
  paths: ['/outpost.goauthentik.io/auth/caddy'],
  original: forwardedOriginal,
  rendering: traefikFlavour.rendering,
};
