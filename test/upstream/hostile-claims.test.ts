/**
 * Claims are user-controlled text (names, e-mail addresses, group names) that Portcullis puts
 * into header lines. Users of the dev IdP whose claims hold CR/LF, control characters,
 * non-ASCII, `|` inside a group name or thousands of groups must not be able to add a header,
 * split the request, forge a group or crash the gateway.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoRequest } from '../../src/demo/echo-upstream.js';
import { basic, bearer, issueTokens, PASSWORDS, startAuthStack, type Answer, type AuthStack } from '../support/auth-stack.js';
import {
  CRLF_GROUP,
  HOSTILE,
  HOSTILE_PASSWORD,
  hostileUsersFile,
  INJECTED,
  PERCENT_GROUP,
  PIPE_GROUP,
  UNICODE_GROUP,
  type HostileName,
} from '../support/hostile-users.js';
import { decodeList, fieldLines, fieldValues, IDENTITY_HEADERS, onlyValue } from '../support/upstream-view.js';

let stack: AuthStack;

beforeAll(async () => {
  stack = await startAuthStack({ idp: { users: hostileUsersFile() } });
});
afterAll(async () => {
  await stack?.close();
});

function signIn(name: HostileName): Promise<Answer> {
  return stack.get('/profile', { authorization: basic(HOSTILE[name].username, HOSTILE_PASSWORD) });
}

async function signInWithBearer(name: HostileName): Promise<Answer> {
  const { access_token } = await issueTokens(stack.idp, { username: HOSTILE[name].username, password: HOSTILE_PASSWORD });
  return stack.get('/profile', { authorization: bearer(access_token) });
}

function received(res: Answer): EchoRequest {
  expect(res.status, res.text).toBe(200);
  expect(res.upstream, 'the upstream was not contacted').toBeDefined();
  return res.upstream as EchoRequest;
}

// A header value that survives the wire unchanged: visible ASCII, inner spaces only.
const WIRE_SAFE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

/** Nothing was injected, nothing was smuggled, and every identity header is wire-safe and single. */
function expectNoInjection(seen: EchoRequest): void {
  expect(fieldValues(seen, INJECTED), 'injected header').toEqual([]);
  expect(fieldLines(seen).filter(([name]) => !/^[!#$%&'*+\-.^`|~0-9A-Za-z]+$/.test(name)), 'malformed names').toEqual([]);
  for (const name of IDENTITY_HEADERS) {
    const value = onlyValue(seen, name);
    expect(value, name).toMatch(WIRE_SAFE);
  }
  expect(stack.echo.received.filter((request) => request.url.includes('smuggled')), 'smuggled request').toEqual([]);
}

function decoded(seen: EchoRequest, name: string): string {
  return decodeURIComponent(onlyValue(seen, name));
}

describe('CR and LF in claims', () => {
  it('cannot add a header line from the name, e-mail, uid, groups or entitlements', async () => {
    const seen = received(await signIn('crlf'));
    expectNoInjection(seen);
    const user = HOSTILE.crlf;
    expect(onlyValue(seen, 'x-authentik-username')).toBe('eve');
    expect(decoded(seen, 'x-authentik-name')).toBe(user.name);
    expect(decoded(seen, 'x-authentik-email')).toBe(user.email);
    expect(decoded(seen, 'x-authentik-uid')).toBe(user.uid);
    expect(onlyValue(seen, 'x-authentik-name')).toBe('Eve%0D%0Ax-injected: name%0D%0A%0D%0AGET /smuggled HTTP/1.1');
  });

  it('cannot smuggle a request through the username (signed in with a Bearer token)', async () => {
    const seen = received(await signInWithBearer('crlfUsername'));
    expectNoInjection(seen);
    expect(decoded(seen, 'x-authentik-username')).toBe(HOSTILE.crlfUsername.username);
    expect(decoded(seen, 'x-authentik-name')).toBe(HOSTILE.crlfUsername.name);
  });

  it('keeps every access-log line one JSON line', () => {
    // logs() parses each line: a raw CR or LF from a username would break a line in two.
    const users = stack.gw.logs().map((line) => line['user']);
    expect(users).toContain(HOSTILE.crlfUsername.username);
  });
});

describe('groups', () => {
  it('a "|" inside a group name cannot forge a second group', async () => {
    const seen = received(await signIn('crlf'));
    const groups = decodeList(onlyValue(seen, 'x-authentik-groups'));
    expect(groups).toEqual([PIPE_GROUP, CRLF_GROUP, PERCENT_GROUP, 'plain']);
    expect(groups).not.toContain('admins');
    expect(onlyValue(seen, 'x-authentik-groups')).toBe('ops%7Cadmins|sales%0D%0Ax-injected: group|%2541%257C|plain');
  });

  it('a "|" inside an entitlement cannot forge a second entitlement', async () => {
    const seen = received(await signIn('crlf'));
    expect(decodeList(onlyValue(seen, 'x-authentik-entitlements'))).toEqual([...HOSTILE.crlf.entitlements]);
  });

  it('non-ASCII group names are percent-encoded and decode to the same groups', async () => {
    const seen = received(await signIn('unicode'));
    expect(onlyValue(seen, 'x-authentik-groups')).toBe('%C3%A9quipe-%E6%97%A5%E6%9C%AC|plain');
    expect(decodeList(onlyValue(seen, 'x-authentik-groups'))).toEqual([UNICODE_GROUP, 'plain']);
  });
});

describe('non-ASCII and control characters', () => {
  it('non-ASCII is percent-encoded as UTF-8 and decodes to the claim', async () => {
    const seen = received(await signIn('unicode'));
    expectNoInjection(seen);
    const user = HOSTILE.unicode;
    expect(onlyValue(seen, 'x-authentik-username')).toBe('zo%C3%AB');
    expect(onlyValue(seen, 'x-authentik-name')).toBe('Zo%C3%AB %C3%9Cn%C3%AFc%C3%B8d%C3%A9 %E6%97%A5%E6%9C%AC%E8%AA%9E %F0%9F%98%80');
    expect(decoded(seen, 'x-authentik-username')).toBe(user.username);
    expect(decoded(seen, 'x-authentik-email')).toBe(user.email);
    expect(decoded(seen, 'x-authentik-name')).toBe(user.name);
  });

  it('NUL, BEL, ESC, DEL, NEL, U+2028, tab and a lone surrogate are encoded, not a 500', async () => {
    const seen = received(await signIn('controls'));
    expectNoInjection(seen);
    expect(onlyValue(seen, 'x-authentik-name')).toBe('a%00b%07c%1Bd%7Fe%C2%85f%E2%80%A8g%09h%EF%BF%BDi');
    // A lone surrogate has no UTF-8 form: it arrives as U+FFFD, everything else as it was.
    expect(decoded(seen, 'x-authentik-name')).toBe(HOSTILE.controls.name.replace('\ud800', '\ufffd'));
  });

  it('spaces at either end are kept, so " alice " does not arrive as alice', async () => {
    const seen = received(await signIn('spaces'));
    expectNoInjection(seen);
    expect(onlyValue(seen, 'x-authentik-username')).not.toBe('alice');
    expect(decoded(seen, 'x-authentik-username')).toBe(' alice ');
    expect(decoded(seen, 'x-authentik-email')).toBe(' alice@example.com');
    expect(decoded(seen, 'x-authentik-name')).toBe('  Alice Example  ');
  });
});

describe('very many groups', () => {
  it('2,000 groups: the 35 KB token from an app password validates; the upstream\'s own header limit then answers, and nothing crashes', async () => {
    const res = await signIn('manyGroups');
    // The identity is accepted (no 401/503): the 35 KB X-authentik-jwt plus 2,000 groups is more
    // than the echo upstream (Node, 16 KiB of headers) reads, and its 431 is relayed.
    expect(res.status).toBe(431);
    expect(res.upstream).toBeUndefined();
    expect(stack.gw.logs().some((line) => typeof line['reason'] === 'string' && line['reason'].includes('did not validate'))).toBe(false);
    const after = await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) });
    expect(after.status).toBe(200);
  });

  it('2,000 groups: the token itself as a Bearer credential is refused at the door with 431', async () => {
    const { access_token } = await issueTokens(stack.idp, { username: HOSTILE.manyGroups.username, password: HOSTILE_PASSWORD });
    expect(access_token.length).toBeGreaterThan(30_000);
    const res = await stack.get('/profile', { authorization: bearer(access_token) });
    expect(res.status).toBe(431);
    expect(res.upstream).toBeUndefined();
  });

  it('280 long group names: headers too large for the upstream give its 431, and the gateway serves on', async () => {
    const res = await signIn('wideGroups');
    // The upstream (Node, 16 KiB of headers) refuses before reading the request; the gateway relays that.
    expect(res.status).toBe(431);
    expect(res.upstream).toBeUndefined();
    expect(stack.echo.received.some((request) => request.headers['x-authentik-username'] === 'centipede')).toBe(false);
    const after = await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) });
    expect(after.status).toBe(200);
    expect(onlyValue(after.upstream as EchoRequest, 'x-authentik-username')).toBe('alice');
  });
});
