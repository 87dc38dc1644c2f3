/**
 * RFC 8725 attacks on Bearer tokens not already in test/auth-gateway/bearer.test.ts (which
 * has alg none, algorithm confusion, foreign keys, unknown kids, jku/x5u/jwk, ID and refresh
 * tokens, audience/issuer/expiry): `crit` extensions, duplicate JSON members, a flood of
 * made-up key ids, and garbage where the token's parts should be. Tokens whose bytes must be
 * exact (duplicate members) are HS256-signed with the client secret on a gateway that allows
 * HS256, the one key the test holds; the parsing they exercise is the same for every algorithm.
 */

import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenFor, bearer, CHALLENGES, CLIENTS, inBatches, lines, startAuthStack, type Answer, type AuthStack, type GatewayUnderTest } from '../support/auth-stack.js';
import { accessClaims } from '../support/jwt-forgery.js';

let stack: AuthStack;
/** HS256 allowed next to RS256, keyed with the client secret only. */
let hmac: GatewayUnderTest;

beforeAll(async () => {
  stack = await startAuthStack();
  hmac = await stack.gateway({ app: 'identity: { bearer: { algorithms: [RS256, HS256] } }' });
});
afterAll(async () => {
  await stack?.close();
});

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/** A compact JWS over exactly these header and payload bytes, HS256 with the client secret. */
function hs256(header: string, payload: string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', CLIENTS.portcullis.secret).update(input).digest('base64url')}`;
}

/** alice's claims as JSON text, with `extra` members spliced in before the others (first) or after them (last). */
function claimsText(extra: { first?: string; last?: string } = {}, overrides: Record<string, unknown> = {}): string {
  const body = JSON.stringify(accessClaims(stack.idp, 'alice', overrides)).slice(1, -1);
  return `{${extra.first === undefined ? '' : `${extra.first},`}${body}${extra.last === undefined ? '' : `,${extra.last}`}}`;
}

const HEADER = '{"alg":"HS256","typ":"at+jwt"}';

function expectInvalidToken(res: Answer): void {
  expect(res.status).toBe(401);
  expect(lines(res.headers, 'www-authenticate')).toEqual([CHALLENGES.basic, CHALLENGES.invalidBearer]);
  expect(res.upstream).toBeUndefined();
}

describe('crit (RFC 7515 §4.1.11)', () => {
  it('accepts the same token without crit (control)', async () => {
    const res = await hmac.get('/', { authorization: bearer(hs256(HEADER, claimsText())) });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers['x-authentik-username']).toBe('alice');
  });

  it.each([
    ['an unknown extension', '{"alg":"HS256","typ":"at+jwt","crit":["urn:example:must-understand"],"urn:example:must-understand":true}'],
    ['an unknown extension that is absent', '{"alg":"HS256","typ":"at+jwt","crit":["exp-ext"]}'],
    ['an empty list', '{"alg":"HS256","typ":"at+jwt","crit":[]}'],
    ['a registered parameter (alg)', '{"alg":"HS256","typ":"at+jwt","crit":["alg"]}'],
    ['b64: false (RFC 7797, unencoded payload)', '{"alg":"HS256","typ":"at+jwt","crit":["b64"],"b64":false}'],
    ['not a list', '{"alg":"HS256","typ":"at+jwt","crit":"exp-ext","exp-ext":1}'],
  ])('refuses a token whose crit names %s', async (_name, header) => {
    expectInvalidToken(await hmac.get('/', { authorization: bearer(hs256(header, claimsText())) }));
  });
});

describe('duplicate members: the lexically last one wins (RFC 7519 §4, RFC 7515 §5.2), in every check and every header alike', () => {
  it('two aud: accepted only when the last is this client', async () => {
    const lastOurs = await hmac.get('/', { authorization: bearer(hs256(HEADER, claimsText({ first: '"aud":"other-app"' }))) });
    expect(lastOurs.status).toBe(200);
    expectInvalidToken(await hmac.get('/', { authorization: bearer(hs256(HEADER, claimsText({ last: '"aud":"other-app"' }))) }));
  });

  it('two sub: the uid the upstream gets is the last one, the one every decision used', async () => {
    const res = await hmac.get('/', { authorization: bearer(hs256(HEADER, claimsText({ first: '"sub":"first-subject"', last: '"sub":"last-subject"' }))) });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers['x-authentik-uid']).toBe('last-subject');
  });

  it('two exp: a past exp after a future one expires the token; a future one after a past one does not', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectInvalidToken(await hmac.get('/', { authorization: bearer(hs256(HEADER, claimsText({ last: `"exp":${now - 3600}` }))) }));
    const extended = await hmac.get('/', { authorization: bearer(hs256(HEADER, claimsText({ first: `"exp":${now - 3600}` }))) });
    expect(extended.status).toBe(200);
  });

  it('two groups: the upstream sees the last list', async () => {
    const res = await hmac.get('/', { authorization: bearer(hs256(HEADER, claimsText({ first: '"groups":["admins"]', last: '"groups":["guests"]' }, { groups: undefined }))) });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers['x-authentik-groups']).toBe('guests');
  });

  it('two alg in the header: the one checked against the allow-list is the one verified', async () => {
    expectInvalidToken(await hmac.get('/', { authorization: bearer(hs256('{"alg":"HS256","alg":"none","typ":"at+jwt"}', claimsText())) }));
    // RS256 first, HS256 last: verified as HS256, so accepted only where HS256 is allowed.
    const token = hs256('{"alg":"RS256","alg":"HS256","typ":"at+jwt"}', claimsText());
    expect((await hmac.get('/', { authorization: bearer(token) })).status).toBe(200);
    expectInvalidToken(await stack.get('/', { authorization: bearer(token) }));
  });

  it('cannot escalate: a duplicate appended to a token the IdP signed breaks its signature', async () => {
    const [header, payload, signature] = (await accessTokenFor(stack.idp, 'bob')).split('.') as [string, string, string];
    const json = Buffer.from(payload, 'base64url').toString('utf8');
    for (const extra of ['"sub":"alice-uid"', '"preferred_username":"alice"', '"groups":["admins"]', `"exp":${Math.floor(Date.now() / 1000) + 86_400}`]) {
      const forged = `${header}.${b64(`${json.slice(0, -1)},${extra}}`)}.${signature}`;
      expectInvalidToken(await stack.get('/', { authorization: bearer(forged) }));
    }
  });
});

describe('a flood of made-up key ids', () => {
  const FLOOD = 1000;

  /** An RS256-shaped token under `kid`; its signature is never checked: no key matches. */
  function unknownKid(kid: string): string {
    return `${b64(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid }))}.${b64(JSON.stringify(accessClaims(stack.idp, 'alice')))}.${'A'.repeat(342)}`;
  }

  it(`${FLOOD} tokens with distinct unknown kids: every one refused, the key set fetched at most once per cooldown`, { timeout: 30_000 }, async () => {
    const gateway = await stack.gateway();
    const valid = await accessTokenFor(stack.idp, 'alice');
    expect((await gateway.get('/', { authorization: bearer(valid) })).status).toBe(200);
    stack.idp.resetCalls();
    const answers = await inBatches(FLOOD, 50, (i) => gateway.get('/', { authorization: bearer(unknownKid(`flood-${i}`)) }));
    expect(answers.filter((res) => res.status !== 401)).toEqual([]);
    expect(answers.filter((res) => res.upstream !== undefined)).toEqual([]);
    // The first made-up kid costs one fetch; the default cooldown (30 s) holds back the rest.
    expect(stack.idp.calls('jwks')).toBeLessThanOrEqual(1);
    // Nobody was locked out.
    expect((await gateway.get('/', { authorization: bearer(valid) })).status).toBe(200);
  });

  it('with a 1 s cooldown, a flood lasting a few seconds costs the IdP about one fetch per second', { timeout: 30_000 }, async () => {
    const gateway = await stack.gateway({ top: 'cache: { jwksCooldown: "1s" }' });
    expect((await gateway.get('/', { authorization: bearer(await accessTokenFor(stack.idp, 'bob')) })).status).toBe(200);
    stack.idp.resetCalls();
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 2500) {
      const batch = await inBatches(50, 50, (i) => gateway.get('/', { authorization: bearer(unknownKid(`slow-flood-${sent + i}`)) }));
      sent += batch.length;
      expect(batch.every((res) => res.status === 401)).toBe(true);
    }
    const seconds = (Date.now() - started) / 1000;
    expect(sent).toBeGreaterThan(100);
    expect(stack.idp.calls('jwks')).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
  });
});

describe('garbage where a token should be: 401 invalid_token, never a 500, the IdP not asked', () => {
  const claims = (): string => claimsText();
  const cases: [string, () => string][] = [
    ['typ that is a number', () => hs256('{"alg":"HS256","typ":5}', claims())],
    ['typ that is an object', () => hs256('{"alg":"HS256","typ":{"toLowerCase":1}}', claims())],
    ['alg that is a list', () => hs256('{"alg":["HS256"],"typ":"at+jwt"}', claims())],
    ['alg that is a number', () => hs256('{"alg":256,"typ":"at+jwt"}', claims())],
    ['alg null', () => hs256('{"alg":null}', claims())],
    ['kid that is an object', () => `${b64('{"alg":"RS256","kid":{"a":1}}')}.${b64(claims())}.${'A'.repeat(342)}`],
    ['a header that is a JSON list', () => hs256('["HS256"]', claims())],
    ['a header that is JSON null', () => hs256('null', claims())],
    ['a header that is not JSON', () => hs256('{"alg":"HS256"', claims())],
    ['a payload that is a JSON list', () => hs256(HEADER, '[1]')],
    ['a payload that is a JSON string', () => hs256(HEADER, '"alice"')],
    ['a payload that is not JSON', () => hs256(HEADER, 'alice')],
    ['sub that is a number', () => hs256(HEADER, JSON.stringify(accessClaims(stack.idp, 'alice', { sub: 12345 })))],
    ['sub that is empty', () => hs256(HEADER, JSON.stringify(accessClaims(stack.idp, 'alice', { sub: '' })))],
    ['exp that is a string', () => hs256(HEADER, JSON.stringify(accessClaims(stack.idp, 'alice', { exp: String(Math.floor(Date.now() / 1000) + 600) })))],
    ['two parts', () => `${b64(HEADER)}.${b64(claims())}`],
    ['four parts', () => `${hs256(HEADER, claims())}.extra`],
    ['only dots', () => '....'],
    ['empty parts', () => '..'],
    ['a, b and c', () => 'a.b.c'],
    ['standard base64 characters', () => `${Buffer.from(HEADER).toString('base64')}.${Buffer.from(claims()).toString('base64')}.a+b/c==`],
    ['a 7 KiB payload of nonsense', () => hs256(HEADER, JSON.stringify({ x: 'y'.repeat(5000) }))],
  ];

  it.each(cases)('%s', async (_name, token) => {
    stack.idp.resetCalls();
    const res = await hmac.get('/', { authorization: bearer(token()) });
    expectInvalidToken(res);
    expect(stack.idp.calls('token')).toBe(0);
    expect(stack.idp.calls('introspection')).toBe(0);
  });

  // Not even a token68 (RFC 6750 §2.1): a malformed request, 400 invalid_request (§3.1).
  it.each([
    ['a header nested 5,000 deep (past the 8 KiB credential bound)', () => hs256(`{"alg":"HS256","x":${'['.repeat(5000)}${']'.repeat(5000)}}`, claims())],
    ['padding in the middle of the base64url', () => `${b64(HEADER)}==.${b64(claims())}.sig`],
  ])('%s: 400 invalid_request', async (_name, token) => {
    stack.idp.resetCalls();
    const res = await hmac.get('/', { authorization: bearer(token()) });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: 'invalid_request' });
    expect(res.upstream).toBeUndefined();
    expect(stack.idp.calls()).toBe(0);
  });
});
