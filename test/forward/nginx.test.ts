/** Forward auth through a real nginx (Debian's 1.22) running the README's nginx snippet. */

import { executableProblem } from '../support/real-parts.js';
import { NGINX_PATH, startNginx } from '../support/reverse-proxies.js';
import { snippetFor } from './snippets.js';
import { proxySuite } from './through-proxy.js';

proxySuite(
  {
    name: 'nginx',
    endpoint: '/outpost.goauthentik.io/auth/nginx',
    start: (addresses, port) => startNginx(snippetFor('nginx', addresses), port),
    relaysCookieOnAllow: true,
  },
  await executableProblem(NGINX_PATH),
);
