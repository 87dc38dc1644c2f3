/** Forward auth through a real Caddy (Debian's 2.6) running the README's Caddyfile snippet. */

import { executableProblem } from '../support/real-parts.js';
import { CADDY_PATH, startCaddy } from '../support/reverse-proxies.js';
import { caddySite } from './snippets.js';
import { proxySuite } from './through-proxy.js';

proxySuite(
  {
    name: 'caddy',
    endpoint: '/outpost.goauthentik.io/auth/caddy',
    start: (addresses, port) => startCaddy(caddySite(addresses, port), port),
    relaysCookieOnAllow: false,
  },
  await executableProblem(CADDY_PATH),
);
