/** Forward auth through a real nginx (Debian's 1.22) running the README's nginx snippet. */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-http.js';
import { describeNeeding, executableProblem } from '../support/real-parts.js';
import { NGINX_PATH, startNginx, type RunningProxy } from '../support/reverse-proxies.js';
import { freePort } from '../support/wait.js';
import { startCountingRelay, type CountingRelay } from './counting-relay.js';
import { snippetFor, type Addresses } from './snippets.js';
import { ALICE, APP_PASSWORDS, basic, startForwardStack, type ForwardStack } from './stack.js';
import { proxySuite } from './through-proxy.js';

const missing = await executableProblem(NGINX_PATH);
const start = (addresses: Addresses, port: number): Promise<RunningProxy> => startNginx(snippetFor('nginx', addresses), port, snippetFor('nginxUpstreams', addresses));

proxySuite({ name: 'nginx', endpoint: '/outpost.goauthentik.io/auth/nginx', start, relaysCookieOnAllow: true }, missing);

describeNeeding('nginx', missing, 'nginx keep-alive to Portcullis and the application', () => {
  let stack: ForwardStack;
  let toPortcullis: CountingRelay;
  let toApplication: CountingRelay;
  let running: RunningProxy | undefined;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    stack = await startForwardStack({
      externalHosts: [`http://127.0.0.1:${port}`],
      applications: `
- name: kept
  externalHost: "http://127.0.0.1:${port}"
  mode: forward_single
  skipPathRegex: ["^/public/"]
`,
    });
    toPortcullis = await startCountingRelay(stack.portcullis);
    toApplication = await startCountingRelay(stack.upstream);
    running = await start({ portcullis: toPortcullis.address, upstream: toApplication.address }, port);
  });
  afterAll(async () => {
    await running?.close();
    await toPortcullis?.close();
    await toApplication?.close();
    await stack?.close();
  });

  // Allowed requests only: a 401 or 403 decision has a body, which nginx does not read from an
  // auth_request subrequest, so it closes that connection instead of keeping it.
  it('decides and proxies allowed request after allowed request over one connection to each', async () => {
    const send = async (path: string, headers: readonly string[] = []) =>
      (await rawRequest(port, [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...headers, 'Connection: close', '', ''].join('\r\n'))).status;
    // Each request on a client connection of its own: nginx's connections to Portcullis and to
    // the application outlive the client's.
    for (let round = 0; round < 3; round += 1) {
      expect(await send('/public/page')).toBe(200);
      expect(await send('/private', [`Authorization: ${basic(ALICE.username, APP_PASSWORDS.alice)}`])).toBe(200);
    }
    expect(toPortcullis.accepted(), await running?.logs()).toBe(1);
    expect(toApplication.accepted(), await running?.logs()).toBe(1);
  });
});
