/**
 * `npm run demo`: the development IdP, the echo upstream and the gateway, all on loopback,
 * with the sample users and configuration shipped in this folder.
 */

import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/index.js';
import { startDevIdp, type DevIdp } from '../devidp/index.js';
import { createGateway } from '../gateway/index.js';
import { createLogger } from '../observability/index.js';
import { untilSignal } from '../run.js';
import { startEchoUpstream } from './echo-upstream.js';

export { startEchoUpstream, type EchoUpstream, type EchoRequest } from './echo-upstream.js';

const HERE = new URL('../../src/demo/', import.meta.url);
export const DEMO_CONFIG_FILE = fileURLToPath(new URL('portcullis.yaml', HERE));
export const DEMO_USERS_FILE = fileURLToPath(new URL('users.yaml', HERE));

export interface DemoOptions {
  /** Configured by the development IdP's mimic of authentik's API, as an authentik outpost is. */
  readonly authentik?: boolean;
}

export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const idp = await startDevIdp({ users: DEMO_USERS_FILE, host: '127.0.0.1', port: 9100 });
  const echo = await startEchoUpstream({ host: '127.0.0.1', port: 9200 });
  const secret = randomBytes(32).toString('base64url');
  const running = options.authentik === true ? await startFromAuthentik(idp, secret) : await startFromFile(secret);
  process.stdout.write(banner(idp.issuer, echo.url, running.urls.gateway, running.urls.health, options.authentik === true ? idp.outpost.authentikHost : null));
  await untilSignal();
  await running.close();
  await Promise.all([echo.close(), idp.close()]);
  return 0;
}

interface RunningDemo {
  readonly urls: { readonly gateway: string; readonly health: string | null };
  close(): Promise<void>;
}

async function startFromFile(secret: string): Promise<RunningDemo> {
  const config = await loadConfig(DEMO_CONFIG_FILE, { ...process.env, PORTCULLIS_SECRET: secret });
  const gateway = await createGateway({ config, logger: createLogger({ config: config.log }) });
  return { urls: await gateway.listen(), close: () => gateway.close() };
}

/** What an operator's container gets from authentik: the API's address, the outpost token, listeners. */
async function startFromAuthentik(idp: DevIdp, secret: string): Promise<RunningDemo> {
  const env = {
    AUTHENTIK_HOST: idp.outpost.authentikHost,
    AUTHENTIK_TOKEN: idp.outpost.token,
    AUTHENTIK_LISTEN__HTTP: '127.0.0.1:9000',
    AUTHENTIK_LISTEN__HTTPS: '127.0.0.1:9443',
    AUTHENTIK_LISTEN__METRICS: '127.0.0.1:9300',
    PORTCULLIS_SECRET: secret,
  };
  const { startAuthentikOutpost } = await import('../run.js');
  const { authentikSettingsFrom } = await import('../authentik/index.js');
  const outpost = await startAuthentikOutpost({ settings: authentikSettingsFrom(env), configFile: null, env });
  return outpost;
}

function banner(issuer: string, upstream: string, gateway: string, health: string | null, authentik: string | null): string {
  const app = 'http://127.0.0.1:9000';
  const source =
    authentik === null
      ? 'configured by src/demo/portcullis.yaml'
      : `configured by authentik's API at ${authentik} (the development IdP's mimic; outpost token
  in src/demo/users.yaml), as an authentik outpost is: AUTHENTIK_HOST + AUTHENTIK_TOKEN, no file`;
  return `
Portcullis demo is running (Ctrl-C stops it), ${source}

  gateway (app "demo")   ${app}          listening on ${gateway}
  development IdP        ${issuer}
  echo upstream          ${upstream}       (answers with the request it received)
  health                 ${health ?? '(disabled)'}/readyz

Users (src/demo/users.yaml): alice / alice-password (app password: alice-app-password),
                             bob / bob-password (app password: bob-app-password)

Try:
  curl -i ${app}/outpost.goauthentik.io/ping                      # 204, no authentication
  curl -s ${app}/public/hello                                     # a skip path: straight to the upstream
  curl -i -H 'X-Authentik-No-Redirect: 1' ${app}/private          # 401 with Basic and Bearer challenges
  curl -i -H 'Accept: text/html' ${app}/private                   # a browser: 302 to the login start
  curl -s -u alice:alice-app-password ${app}/private              # an app password: identity headers upstream
  curl -s -c /tmp/portcullis.jar -u bob:bob-app-password -o /dev/null ${app}/private && \
    curl -s -b /tmp/portcullis.jar ${app}/private                 # the session cookie alone, no password
  TOKEN=$(curl -s -d grant_type=client_credentials -d client_id=portcullis -d client_secret=portcullis-dev-secret \
    -d username=alice -d password=alice-app-password -d scope='openid profile email ak_proxy' ${issuer}/token \
    | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
  curl -s -H "Authorization: Bearer $TOKEN" ${app}/private        # a Bearer JWT
  curl -s ${health ?? 'http://127.0.0.1:9300'}/readyz

`;
}
