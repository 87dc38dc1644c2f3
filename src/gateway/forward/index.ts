/**
 * Forward auth: the decision endpoints nginx (`auth_request`), Traefik (`forwardAuth`), Caddy
 * (`forward_auth`) and Envoy (`ext_authz`) ask, each flavour a small adapter over one shared
 * decision and renderer. The room's only public entry.
 */

export { forwardAuthEndpoints, type ForwardEndpointOptions } from './endpoints.js';
export { caddyFlavour } from './caddy.js';
export { envoyFlavour } from './envoy.js';
export { nginxFlavour } from './nginx.js';
export { traefikFlavour } from './traefik.js';
export { parseAbsoluteUrl, parseHost, parseMethod, parseProto, parseRequestTarget, singleValue, type OriginalRequest, type Parsed } from './original.js';
