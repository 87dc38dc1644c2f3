/**
 * `identity.clientAuth` (issue 15): which client authentication Portcullis uses at the token
 * endpoint (code exchange, refresh, Basic grants) and at introspection, chosen from the IdP's
 * `token_endpoint_auth_methods_supported` by default, against the development IdP over HTTP.
 */

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortcullisError } from '../../src/errors/index.js';
import { chooseClientAuthMethod } from '../../src/idp/index.js';
import { HttpBrowser } from '../support/http-browser.js';
import { basicAuth, loginAlice, PORTCULLIS, startDevStack, upstreamHeaders, type DevStack } from './dev-stack.js';

describe('chooseClientAuthMethod', () => {
  it.each([
    ['auto', 's', ['client_secret_basic', 'client_secret_post'], 'client_secret_basic'],
    ['auto', 's', ['client_secret_post', 'client_secret_basic'], 'client_secret_post'],
    ['auto', 's', ['private_key_jwt', 'client_secret_post'], 'client_secret_post'],
    ['auto', 's', undefined, 'client_secret_basic'],
    ['auto', 's', [], 'client_secret_basic'],
    ['auto', 's', ['private_key_jwt'], 'client_secret_basic'],
    ['auto', '', ['client_secret_post'], 'none'],
    ['client_secret_post', 's', ['client_secret_basic'], 'client_secret_post'],
    ['private_key_jwt', '', ['client_secret_basic'], 'private_key_jwt'],
    ['none', 's', ['client_secret_basic'], 'none'],
  ] as const)('%s with secret %j and the IdP listing %j is %s', (configured, secret, supported, expected) => {
    expect(chooseClientAuthMethod(configured, secret, supported)).toBe(expected);
  });
});

const APPS = ['basic', 'post', 'given', 'jwt', 'eddsa', 'public'];

function basicRequest(stack: DevStack, app: string, password = 'alice-app-password') {
  return new HttpBrowser().request(`${stack.origin(app)}/api`, { accept: 'application/json', anonymous: true, headers: { authorization: basicAuth('alice', password) } });
}

describe('against the development IdP listing client_secret_basic first (its default)', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await startDevStack({ apps: APPS });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('uses client_secret_basic for the login and for app passwords', async () => {
    const gw = await stack.gateway('basic');
    const { callback, final } = await loginAlice(stack.origin('basic'));
    expect(callback?.status).toBe(302);
    expect(upstreamHeaders(final)['x-authentik-username']).toBe('alice');
    expect(upstreamHeaders(await basicRequest(stack, 'basic'))['x-authentik-username']).toBe('alice');
    expect(gw.gateway.idps.forApplication('basic').clientAuthMethod).toBe('client_secret_basic');
    await gw.close();
  });

  it('uses client_secret_basic when given metadata lists no method (RFC 8414 §2 default)', async () => {
    const discovery = (await (await fetch(`${stack.idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const metadata = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'end_session_endpoint', 'introspection_endpoint', 'jwks_uri']
      .map((key) => `  ${key}: "${String(discovery[key])}"`)
      .join('\n');
    const gw = await stack.gateway('given', `clientId: ${PORTCULLIS.id}\nclientSecret: ${PORTCULLIS.secret}\nmetadata:\n${metadata}`);
    expect(upstreamHeaders(await basicRequest(stack, 'given'))['x-authentik-username']).toBe('alice');
    expect(gw.gateway.idps.forApplication('given').clientAuthMethod).toBe('client_secret_basic');
    await gw.close();
  });
});

describe('against the development IdP listing client_secret_post first', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await startDevStack({ apps: APPS, idp: { clientAuthMethods: ['client_secret_post', 'client_secret_basic'] } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('uses client_secret_post', async () => {
    const gw = await stack.gateway('post');
    expect(upstreamHeaders(await basicRequest(stack, 'post'))['x-authentik-username']).toBe('alice');
    expect(gw.gateway.idps.forApplication('post').clientAuthMethod).toBe('client_secret_post');
    await gw.close();
  });
});

describe('against the development IdP taking client_secret_basic only', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await startDevStack({ apps: APPS, idp: { clientAuthMethods: ['client_secret_basic'] } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('works by default, and introspection authenticates the same way', async () => {
    const gw = await stack.gateway('basic', `clientId: ${PORTCULLIS.id}\nclientSecret: ${PORTCULLIS.secret}\nbearer: { validation: introspection }`);
    const { final } = await loginAlice(stack.origin('basic'));
    const token = upstreamHeaders(final)['x-authentik-jwt'] ?? '';
    const bearer = await new HttpBrowser().request(`${stack.origin('basic')}/api`, { accept: 'application/json', anonymous: true, headers: { authorization: `Bearer ${token}` } });
    expect(upstreamHeaders(bearer)['x-authentik-username']).toBe('alice');
    expect(stack.idp.calls('introspection')).toBeGreaterThan(0);
    await gw.close();
  });

  it('answers 503, not 401, to an app password when the IdP refuses the configured client_secret_post', async () => {
    const gw = await stack.gateway('post', `clientId: ${PORTCULLIS.id}\nclientSecret: ${PORTCULLIS.secret}\nclientAuth: client_secret_post`);
    const answer = await basicRequest(stack, 'post');
    expect(answer.status).toBe(503);
    // At the login too: the IdP refused this client, a configuration problem, not the user's.
    const { callback } = await loginAlice(stack.origin('post'));
    expect(callback?.status).toBe(503);
    await gw.close();
  });
});

describe('private_key_jwt and public clients', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-client-key-'));
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const ecFile = join(dir, 'client-ec.pem');
  const edFile = join(dir, 'client-ed.pem');
  writeFileSync(ecFile, ec.privateKey.export({ type: 'sec1', format: 'pem' }));
  writeFileSync(edFile, ed.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  let stack: DevStack;

  beforeAll(async () => {
    const jwks = {
      keys: [
        { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
        { ...(await exportJWK(ed.publicKey)), kid: 'ed-1', alg: 'EdDSA', use: 'sig' },
      ],
    };
    stack = await startDevStack({
      apps: APPS,
      clients: [
        { id: 'jwt-client', secret: '', tokenEndpointAuthMethod: 'private_key_jwt', jwks: JSON.parse(JSON.stringify(jwks)) },
        { id: 'public-client', secret: '', tokenEndpointAuthMethod: 'none' },
      ],
    });
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['an EC P-256 key in SEC1 PEM', 'jwt', ecFile, 'ec-1'],
    ['an Ed25519 key in PKCS#8 PEM', 'eddsa', edFile, 'ed-1'],
  ])('signs client assertions with %s for the login and for app passwords', async (_what, app, file, kid) => {
    const gw = await stack.gateway(app, `clientId: jwt-client\nclientAuth: private_key_jwt\nclientKeyFile: "${file}"\nclientKeyId: ${kid}`);
    const { callback, final } = await loginAlice(stack.origin(app));
    expect(callback?.status).toBe(302);
    expect(upstreamHeaders(final)['x-authentik-username']).toBe('alice');
    expect(upstreamHeaders(await basicRequest(stack, app))['x-authentik-username']).toBe('alice');
    expect(gw.gateway.idps.forApplication(app).clientAuthMethod).toBe('private_key_jwt');
    await gw.close();
  });

  it('logs in as a public client (none, PKCE) when no clientSecret is set', async () => {
    const gw = await stack.gateway('public', 'clientId: public-client');
    const { callback, final } = await loginAlice(stack.origin('public'));
    expect(callback?.status).toBe(302);
    expect(upstreamHeaders(final)['x-authentik-username']).toBe('alice');
    expect(gw.gateway.idps.forApplication('public').clientAuthMethod).toBe('none');
    await gw.close();
  });

  it.each([
    ['a missing file', () => join(dir, 'missing.pem'), /cannot be read \(no such file\)/],
    ['a file that holds no key', () => writeAndReturn(join(dir, 'not-a-key.pem'), 'hello'), /holds no PEM private key/],
  ])('refuses to start with %s, naming identity.clientKeyFile (PCL_IDP_CLIENT_KEY)', async (_what, file, message) => {
    const error = await stack.gateway('jwt', `clientId: jwt-client\nclientAuth: private_key_jwt\nclientKeyFile: "${file()}"`).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(isPortcullisError(error, 'PCL_IDP_CLIENT_KEY')).toBe(true);
    expect((error as Error).message).toMatch(/^identity\.clientKeyFile /);
    expect((error as Error).message).toMatch(message);
  });
});

function writeAndReturn(file: string, text: string): string {
  writeFileSync(file, text);
  return file;
}
