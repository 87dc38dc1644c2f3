/**
 * The development IdP's options for issue 15, on the wire: lean ID tokens, the client
 * authentication methods it takes (and lists in discovery), per-client methods and signed
 * UserInfo, and their users-file keys.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadUsersFile, parseUsersFile, startDevIdp, type DevIdp } from '../../src/devidp/index.js';
import { ValidationError } from '../../src/errors/index.js';
import { jwtPayload } from '../support/http-browser.js';
import { basicAuth, PORTCULLIS, USERS_FILE } from './dev-stack.js';

const SCOPE = 'openid profile email ak_proxy';

async function discovery(idp: DevIdp): Promise<Record<string, unknown>> {
  return (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
}

/** A password-grant token request for alice, authenticating the client in the header or in the body. */
function passwordGrant(idp: DevIdp, how: 'header' | 'body', clientId: string = PORTCULLIS.id, secret: string = PORTCULLIS.secret): Promise<Response> {
  const body = new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'alice-password', scope: SCOPE });
  const headers: Record<string, string> = {};
  if (how === 'header') {
    headers['authorization'] = basicAuth(clientId, secret);
  } else {
    body.set('client_id', clientId);
    body.set('client_secret', secret);
  }
  return fetch(`${idp.issuer}/token`, { method: 'POST', body, headers });
}

describe('development IdP options', () => {
  let lean: DevIdp;
  let basicOnly: DevIdp;

  beforeAll(async () => {
    const users = await loadUsersFile(USERS_FILE);
    const signed = { id: 'signed', secret: 'signed-secret', redirectUris: ['http://127.0.0.1:9/cb'], postLogoutRedirectUris: [], backchannelLogoutUri: '', userinfoSignedResponseAlg: 'RS256' as const };
    lean = await startDevIdp({ users: { ...users, clients: [...users.clients, signed] }, leanIdTokens: true });
    basicOnly = await startDevIdp({ users: USERS_FILE, clientAuthMethods: ['client_secret_basic'] });
  });
  afterAll(async () => {
    await lean?.close();
    await basicOnly?.close();
  });

  it('leanIdTokens: ID tokens carry the subject only, access tokens and UserInfo the profile', async () => {
    const tokens = (await (await passwordGrant(lean, 'header')).json()) as { id_token: string; access_token: string };
    const id = jwtPayload(tokens.id_token);
    expect(id['sub']).toBe(lean.userClaims('alice')['sub']);
    for (const claim of ['preferred_username', 'groups', 'email', 'name', 'ak_proxy']) expect(id).not.toHaveProperty(claim);
    expect(jwtPayload(tokens.access_token)['preferred_username']).toBe('alice');
    const userinfo = (await (await fetch(`${lean.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ sub: id['sub'], preferred_username: 'alice', groups: ['staff', 'admins'], email: 'alice@example.com' });
  });

  it('signs UserInfo for a client registered with userinfoSignedResponseAlg', async () => {
    const tokens = (await (await passwordGrant(lean, 'header', 'signed', 'signed-secret')).json()) as { access_token: string };
    const answer = await fetch(`${lean.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(answer.headers.get('content-type')).toMatch(/^application\/jwt/);
    const claims = jwtPayload(await answer.text());
    expect(claims).toMatchObject({ iss: lean.issuer, aud: 'signed', preferred_username: 'alice' });
    expect((await discovery(lean))['userinfo_signing_alg_values_supported']).toContain('RS256');
  });

  it('lists client_secret_basic first by default, and takes both secret methods', async () => {
    expect((await discovery(lean))['token_endpoint_auth_methods_supported']).toEqual(['client_secret_basic', 'client_secret_post']);
    expect((await passwordGrant(lean, 'header')).status).toBe(200);
    expect((await passwordGrant(lean, 'body')).status).toBe(200);
  });

  it('clientAuthMethods [client_secret_basic]: lists only it and refuses secrets in the body, at the token and introspection endpoints', async () => {
    expect((await discovery(basicOnly))['token_endpoint_auth_methods_supported']).toEqual(['client_secret_basic']);
    const refused = await passwordGrant(basicOnly, 'body');
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');
    const { access_token: token } = (await (await passwordGrant(basicOnly, 'header')).json()) as { access_token: string };
    const introspect = (auth: 'header' | 'body') => {
      const body = new URLSearchParams({ token });
      const headers: Record<string, string> = {};
      if (auth === 'header') {
        headers['authorization'] = basicAuth(PORTCULLIS.id, PORTCULLIS.secret);
      } else {
        body.set('client_id', PORTCULLIS.id);
        body.set('client_secret', PORTCULLIS.secret);
      }
      return fetch(`${basicOnly.issuer}/token/introspection`, { method: 'POST', body, headers });
    };
    expect(((await (await introspect('header')).json()) as { active: boolean }).active).toBe(true);
    expect((await introspect('body')).status).toBe(401);
  });

  it('registers the root of every redirect URI origin as a post-logout redirect URI', async () => {
    const users = await loadUsersFile(USERS_FILE);
    const idp = await startDevIdp({ users: { ...users, clients: users.clients.map((c) => ({ ...c, redirectUris: ['http://elsewhere.localhost:8123/cb'] })) } });
    try {
      const end = (uri: string) => fetch(`${idp.issuer}/session/end?client_id=${PORTCULLIS.id}&post_logout_redirect_uri=${encodeURIComponent(uri)}`);
      expect((await end('http://elsewhere.localhost:8123/')).status).toBe(200);
      expect((await end('http://elsewhere.localhost:8123/other')).status).toBe(400);
    } finally {
      await idp.close();
    }
  });
});

describe('users file keys of clients', () => {
  const base = { id: 'c', secret: 's', redirectUris: ['http://app.localhost:9000/cb'] };
  const parse = (client: Record<string, unknown>) => parseUsersFile({ users: [], groups: [], clients: [client] }, 'users.yaml').clients[0];
  const problems = (client: Record<string, unknown>) => {
    try {
      parse(client);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).problems.map((p) => `${p.path}: ${p.message}`);
    }
    throw new Error('expected the users file to be refused');
  };

  it('reads tokenEndpointAuthMethod, jwks and userinfoSignedResponseAlg', () => {
    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] };
    expect(parse({ ...base, tokenEndpointAuthMethod: 'private_key_jwt', jwks, userinfoSignedResponseAlg: 'RS256' })).toMatchObject({
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks,
      userinfoSignedResponseAlg: 'RS256',
    });
    expect(parse({ id: 'public', redirectUris: base.redirectUris, tokenEndpointAuthMethod: 'none' })).toMatchObject({ secret: '', tokenEndpointAuthMethod: 'none' });
    expect(parse(base)).not.toHaveProperty('tokenEndpointAuthMethod');
  });

  it('names the key of each mistake', () => {
    expect(problems({ ...base, tokenEndpointAuthMethod: 'tls_client_auth' })).toEqual([
      'clients[0].tokenEndpointAuthMethod: expected one of client_secret_basic, client_secret_post, private_key_jwt, none, got "tls_client_auth"',
    ]);
    expect(problems({ ...base, tokenEndpointAuthMethod: 'private_key_jwt' })).toEqual([
      "clients[0].jwks: is required with private_key_jwt: a JWK Set ({keys: [...]}) of the client's public keys",
    ]);
    expect(problems({ ...base, userinfoSignedResponseAlg: 'HS256' })).toEqual(['clients[0].userinfoSignedResponseAlg: expected RS256 (the IdP\'s signing algorithm), got "HS256"']);
    expect(problems({ id: 'c', redirectUris: base.redirectUris })).toEqual(['clients[0].secret: is required']);
  });
});
