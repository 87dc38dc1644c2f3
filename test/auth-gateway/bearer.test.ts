/**
 * Bearer access tokens end to end: tokens the dev IdP issued pass; everything RFC 8725 warns
 * about is refused with `error="invalid_token"` before the upstream is contacted.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { codeFlowTokens, discover } from '../devidp/support.js';
import {
  accessTokenFor,
  bearer,
  CHALLENGES,
  CLIENTS,
  issueTokens,
  lines,
  startAuthStack,
  type Answer,
  type AuthStack,
  type GatewayUnderTest,
} from '../support/auth-stack.js';
import {
  accessClaims,
  hmacJwt,
  publishedKey,
  rogueKey,
  startCountingServer,
  unsignedJwt,
  type CountingServer,
  type RogueKey,
} from '../support/jwt-forgery.js';

let stack: AuthStack;
/** The same application with HS256 allowed next to RS256 (keyed by the client secret only). */
let withHmac: GatewayUnderTest;
let attacker: RogueKey;
let keyServer: CountingServer;

beforeAll(async () => {
  stack = await startAuthStack();
  withHmac = await stack.gateway({ app: 'identity: { bearer: { algorithms: [RS256, HS256] } }' });
  attacker = await rogueKey();
  keyServer = await startCountingServer({ keys: [attacker.publicJwk] });
});
afterAll(async () => {
  await keyServer?.close();
  await stack?.close();
});
beforeEach(() => {
  stack.idp.resetCalls();
});

function expectInvalidToken(res: Answer): void {
  expect(res.status).toBe(401);
  expect(lines(res.headers, 'www-authenticate')).toEqual([CHALLENGES.basic, CHALLENGES.invalidBearer]);
  expect(res.upstream).toBeUndefined();
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('valid access tokens', () => {
  it('lets a token from the IdP\'s token endpoint through, without the caller\'s Authorization', async () => {
    const token = await accessTokenFor(stack.idp, 'alice');
    stack.idp.resetCalls();
    const res = await stack.get('/reports', { authorization: bearer(token) });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers.authorization).toBeUndefined();
    expect(res.upstream?.headers['x-authentik-username']).toBe('alice');
    expect(res.upstream?.headers['x-authentik-groups']).toBe('staff|admins');
    expect(res.upstream?.headers['x-authentik-uid']).toBe(stack.idp.userClaims('alice').sub);
    expect(res.upstream?.headers['x-authentik-jwt']).toBe(token);
    expect(stack.idp.calls('token')).toBe(0);
  });

  it('accepts the scheme name in any case', async () => {
    const token = await accessTokenFor(stack.idp, 'bob');
    for (const scheme of ['bearer', 'BEARER']) {
      const res = await stack.get('/', { authorization: `${scheme} ${token}` });
      expect(res.status, scheme).toBe(200);
      expect(res.upstream?.headers.authorization, scheme).toBeUndefined();
    }
  });

  it('lets a token the IdP signed with well-formed claims through (the baseline every forgery below departs from)', async () => {
    const token = await stack.idp.signJwt(accessClaims(stack.idp, 'bob'));
    const res = await stack.get('/', { authorization: bearer(token) });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers['x-authentik-username']).toBe('bob');
  });
});

describe('tokens refused by their claims', () => {
  it('refuses an expired token', async () => {
    const past = nowSeconds() - 300;
    expectInvalidToken(await stack.get('/', { authorization: bearer(await stack.idp.signJwt(accessClaims(stack.idp, 'alice', { iat: past - 600, exp: past }))) }));
  });

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    const token = await stack.idp.signJwt(accessClaims(stack.idp, 'alice', { nbf: nowSeconds() + 600 }));
    expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
  });

  it('refuses a token the IdP issued to another client', async () => {
    const token = await accessTokenFor(stack.idp, 'alice', CLIENTS.other);
    expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
  });

  it('refuses a token for another audience signed by the right key', async () => {
    const token = await stack.idp.signJwt(accessClaims(stack.idp, 'alice', { aud: 'other-app' }));
    expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
  });

  it('refuses a token naming another issuer', async () => {
    const token = await stack.idp.signJwt(accessClaims(stack.idp, 'alice', { iss: 'http://127.0.0.1:1/elsewhere' }));
    expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
  });

  it('refuses a token without exp', async () => {
    const token = await stack.idp.signJwt(accessClaims(stack.idp, 'alice', { exp: undefined }));
    expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
  });
});

describe('forged signatures', () => {
  it('refuses a token signed by a key the IdP never published, under the IdP\'s kid', async () => {
    const token = await stack.idp.signJwt(accessClaims(stack.idp, 'alice'), { foreignKey: true });
    expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
  });

  it('refuses an unsigned token (alg none)', async () => {
    const [kid] = stack.idp.keyIds();
    for (const alg of ['none', 'None', 'NONE']) {
      const token = unsignedJwt({ alg, typ: 'at+jwt', kid }, accessClaims(stack.idp, 'alice'));
      expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
    }
  });

  it('refuses HS256 keyed with the IdP\'s public key (algorithm confusion), even where HS256 is allowed', async () => {
    const { pem, json, jwk } = await publishedKey(stack.idp);
    const claims = accessClaims(stack.idp, 'alice');
    for (const secret of [pem, json, Buffer.from(String(jwk.n), 'base64url')]) {
      const token = hmacJwt({ typ: 'at+jwt', kid: jwk.kid }, claims, secret);
      expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
      expectInvalidToken(await withHmac.get('/', { authorization: bearer(token) }));
    }
  });

  it('accepts HS256 only where it is allowed and only keyed with the client secret', async () => {
    // The positive control for the confusion test above: same path, only the key differs.
    const token = hmacJwt({ typ: 'at+jwt' }, accessClaims(stack.idp, 'alice'), CLIENTS.portcullis.secret);
    const allowed = await withHmac.get('/', { authorization: bearer(token) });
    expect(allowed.status).toBe(200);
    expect(allowed.upstream?.headers['x-authentik-username']).toBe('alice');
    // The IdP advertises RS256 only, so by default HS256 is not accepted at all.
    expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
  });

  it('refuses a token whose kid the IdP does not publish', async () => {
    const token = await stack.idp.signJwt(accessClaims(stack.idp, 'alice'), { kid: 'no-such-key' });
    expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
  });

  it('never fetches keys from jku, x5u or an embedded jwk', async () => {
    const claims = accessClaims(stack.idp, 'alice');
    const [idpKid] = stack.idp.keyIds();
    const forged = [
      await attacker.sign(claims, { jku: `${keyServer.url}/jwks.json` }),
      await attacker.sign(claims, { x5u: `${keyServer.url}/cert.pem` }),
      await attacker.sign(claims, { jwk: attacker.publicJwk }),
      // The same pointers under the IdP's own kid, so a resolver that looks past the kid is caught too.
      await attacker.sign(claims, { kid: idpKid, jku: `${keyServer.url}/jwks.json` }),
      await attacker.sign(claims, { kid: idpKid, jwk: attacker.publicJwk }),
    ];
    for (const token of forged) {
      expectInvalidToken(await withHmac.get('/', { authorization: bearer(token) }));
      expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
    }
    expect(keyServer.hits()).toBe(0);
  });
});

describe('tokens that are not access tokens', () => {
  it('refuses an ID token offered as an access token', async () => {
    const { id_token } = await issueTokens(stack.idp, { username: 'alice', password: 'alice-app-password' });
    expect(id_token).toBeDefined();
    expectInvalidToken(await stack.get('/', { authorization: bearer(String(id_token)) }));
  });

  it('refuses an ID token from the code flow (signed by the IdP, audience this client)', async () => {
    const tokens = await codeFlowTokens(await discover(stack.idp), { username: 'bob', password: 'bob-password' });
    expectInvalidToken(await stack.get('/', { authorization: bearer(String(tokens.id_token)) }));
  });

  it('refuses a refresh token offered as an access token', async () => {
    const tokens = await codeFlowTokens(await discover(stack.idp), { username: 'bob', password: 'bob-password' });
    expect(tokens.refresh_token).toBeDefined();
    expectInvalidToken(await stack.get('/', { authorization: bearer(String(tokens.refresh_token)) }));
    // The access token of the same response is good: the refusal is about the token's kind.
    const access = await stack.get('/', { authorization: bearer(tokens.access_token) });
    expect(access.status).toBe(200);
    expect(access.upstream?.headers['x-authentik-username']).toBe('bob');
  });

  it.each(['logout+jwt', 'id_token+jwt', 'secevent+jwt', 'dpop+jwt', 'application/logout+jwt', 'JOSE', ''])(
    'refuses a token typed %j: its typ says it is something else (RFC 8725 §3.11)',
    async (typ) => {
      const token = await stack.idp.signJwt(accessClaims(stack.idp, 'alice'), { typ });
      expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
    },
  );

  it.each(['at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT'])('accepts a token typed %j (RFC 9068; authentik types its tokens JWT)', async (typ) => {
    const token = await stack.idp.signJwt(accessClaims(stack.idp, 'alice'), { typ });
    expect((await stack.get('/', { authorization: bearer(token) })).status).toBe(200);
  });
});
