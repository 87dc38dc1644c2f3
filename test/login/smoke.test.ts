import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadUsersFile, startDevIdp, type DevIdp } from '../../src/devidp/index.js';
import { startEchoUpstream, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { CookieJar, browse, formAction, location, postForm, USERS_FILE } from '../devidp/support.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let idp: DevIdp;
let echo: EchoUpstream;
let gw: RunningGateway;
let app: string;

beforeAll(async () => {
  const port = await freePort();
  app = `http://127.0.0.1:${port}`;
  const users = await loadUsersFile(USERS_FILE);
  const clients = users.clients.map((c) => (c.id === 'portcullis' ? { ...c, redirectUris: [...c.redirectUris, `${app}/outpost.goauthentik.io/callback?X-authentik-auth-callback=true`] } : c));
  idp = await startDevIdp({ users: { ...users, clients } });
  echo = await startEchoUpstream();
  gw = await startGateway(`
listen: "127.0.0.1:${port}"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
identity: { issuer: "${idp.issuer}", clientId: portcullis, clientSecret: portcullis-dev-secret }
applications:
  - name: app
    externalHost: "${app}"
    internalHost: "${echo.url}"
`);
});
afterAll(async () => {
  await gw?.close();
  await echo?.close();
  await idp?.close();
});

it('logs a browser in through the IdP and lands on the page it asked for', async () => {
  const jar = new CookieJar();
  const first = await browse(jar, `${app}/private/page?x=1`, { headers: { accept: 'text/html' } });
  expect(first.response.status).toBe(302);
  const start = await browse(jar, location(first, app));
  expect(start.response.status).toBe(302);
  const authUrl = location(start, app);
  expect(authUrl.startsWith(idp.issuer)).toBe(true);
  const toLogin = await browse(jar, authUrl);
  const loginPage = await browse(jar, location(toLogin, authUrl));
  const action = formAction(loginPage.body, authUrl);
  const submitted = await postForm(jar, action, { username: 'alice', password: 'alice-password' });
  const resumed = await browse(jar, location(submitted, action));
  const callback = location(resumed, action);
  expect(callback.startsWith(`${app}/outpost.goauthentik.io/callback?`)).toBe(true);
  const done = await browse(jar, callback);
  expect(done.response.status, done.body).toBe(302);
  expect(location(done, app)).toBe(`${app}/private/page?x=1`);
  const page = await browse(jar, `${app}/private/page?x=1`, { headers: { accept: 'text/html' } });
  expect(page.response.status).toBe(200);
  expect(JSON.parse(page.body).headers['x-authentik-username']).toBe('alice');
});
