/**
 * Application policies over HTTP (DESIGN.md §7): every kind allowing and denying end to end,
 * negated bindings, `all` and `any`, and how a denial looks to browsers, API clients and
 * Bearer callers. A denied request never reaches the upstream.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoRequest } from '../../src/demo/echo-upstream.js';
import { accessTokenFor, basic, bearer, lines, PASSWORDS, type Answer } from '../support/auth-stack.js';
import { startPolicyStack, type PolicyApp, type PolicyStack } from '../support/policy-stack.js';
import { onlyValue } from '../support/upstream-view.js';

const WEEK = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const today = new Date().getUTCDay();
// Yesterday, today and tomorrow are left out, so a test run across midnight UTC still sees "never".
const OTHER_DAYS = WEEK.filter((_, i) => ![today, (today + 1) % 7, (today + 6) % 7].includes(i));

const FILES = {
  'groups.yaml': `
name: admins-only
kind: group
groups: [admins]
---
name: staff-only
kind: group
groups: [staff, nobody-else]
`,
  'claims.yaml': `
name: superusers
kind: claim
claim: ak_proxy.is_superuser
equals: true
---
name: bob-by-email
kind: claim
claim: email
matches: '^bob@example\\.com$'
---
name: ops-team
kind: claim
claim: ak_proxy.user_attributes.team
equals: ops
`,
  'network.yaml': `
name: loopback
kind: network
cidrs: ["127.0.0.1/32", "::1/128"]
---
name: private-ten
kind: network
cidrs: ["10.0.0.0/8"]
`,
  'time.yml': `
name: always
kind: time
timezone: UTC
days: [mon, tue, wed, thu, fri, sat, sun]
---
name: never-now
kind: time
timezone: UTC
days: [${OTHER_DAYS.join(', ')}]
`,
  'request.yaml': `
name: api-reads
kind: request
methods: [GET, HEAD]
paths: ["^/api/"]
`,
  'expressions.yaml': `
name: staff-gets-here
kind: expression
expression: "'staff' in identity.groups && request.method == 'GET' && request.host == 'expression.test' && request.ip == '127.0.0.1'"
---
name: superuser-claim
kind: expression
expression: "has(identity.claims.ak_proxy) && identity.claims.ak_proxy.is_superuser == true"
---
name: broken-at-runtime
kind: expression
expression: "identity.claims.no_such_claim == true"
`,
};

const APPS: PolicyApp[] = [
  { name: 'group', bindings: ['admins-only'] },
  { name: 'claim', bindings: ['superusers'] },
  { name: 'claim-matches', bindings: ['bob-by-email'] },
  { name: 'claim-attribute', bindings: ['ops-team'] },
  { name: 'network', bindings: ['loopback'] },
  { name: 'network-ten', bindings: ['private-ten'] },
  { name: 'time', bindings: ['always'] },
  { name: 'time-never', bindings: ['never-now'] },
  { name: 'request', bindings: ['api-reads'] },
  { name: 'expression', bindings: ['staff-gets-here'] },
  { name: 'expression-claims', bindings: ['superuser-claim'] },
  { name: 'expression-error', mode: 'any', bindings: ['!broken-at-runtime'] },
  { name: 'expression-error-any', mode: 'any', bindings: ['!broken-at-runtime', 'staff-only'] },
  { name: 'negated', bindings: ['!admins-only'] },
  { name: 'negated-network', bindings: ['!loopback'] },
  { name: 'all', mode: 'all', bindings: ['staff-only', 'admins-only'] },
  { name: 'any', mode: 'any', bindings: ['admins-only', 'api-reads'] },
  { name: 'unbound' },
  // The realm of its challenges is "app".
  { name: 'app', bindings: ['admins-only'] },
];

let stack: PolicyStack;
const ALICE = basic('alice', PASSWORDS.alice.cli);
const BOB = basic('bob', PASSWORDS.bob.cli);

beforeAll(async () => {
  stack = await startPolicyStack({ files: FILES, apps: APPS });
});
afterAll(async () => {
  await stack?.close();
});

function as(credentials: string, app: string, path = '/', method = 'GET', headers: Record<string, string> = {}): Promise<Answer> {
  return stack.send(app, path, { method, headers: { authorization: credentials, ...headers } });
}

function expectAllowed(res: Answer, username: string): EchoRequest {
  expect(res.status, res.text).toBe(200);
  expect(res.upstream, 'the upstream was not contacted').toBeDefined();
  const seen = res.upstream as EchoRequest;
  expect(onlyValue(seen, 'x-authentik-username')).toBe(username);
  return seen;
}

function expectDenied(res: Answer): void {
  expect(res.status, res.text).toBe(403);
  expect(res.upstream, 'a denied request reached the upstream').toBeUndefined();
}

describe('each kind allows and denies end to end', () => {
  it('group: admins in, staff out', async () => {
    expectAllowed(await as(ALICE, 'group'), 'alice');
    expectDenied(await as(BOB, 'group'));
  });

  it('claim equals: the superuser flag', async () => {
    expectAllowed(await as(ALICE, 'claim'), 'alice');
    expectDenied(await as(BOB, 'claim'));
  });

  it('claim matches: a regex over the e-mail', async () => {
    expectAllowed(await as(BOB, 'claim-matches'), 'bob');
    expectDenied(await as(ALICE, 'claim-matches'));
  });

  it('claim equals on a merged attribute: bob\'s group says team ops, alice\'s admins group says platform', async () => {
    expectAllowed(await as(BOB, 'claim-attribute'), 'bob');
    expectDenied(await as(ALICE, 'claim-attribute'));
  });

  it('network: the loopback client is in 127.0.0.1/32, not in 10.0.0.0/8', async () => {
    expectAllowed(await as(BOB, 'network'), 'bob');
    expectDenied(await as(BOB, 'network-ten'));
  });

  it('network: the client address is the one after trustedProxies handling (loopback is trusted by default)', async () => {
    const forwarded = { 'x-forwarded-for': '10.1.2.3' };
    expectAllowed(await as(BOB, 'network-ten', '/', 'GET', forwarded), 'bob');
    expectDenied(await as(BOB, 'network', '/', 'GET', forwarded));
  });

  it('time: every day all day allows; only days far from today denies', async () => {
    expectAllowed(await as(BOB, 'time'), 'bob');
    expectDenied(await as(ALICE, 'time-never'));
  });

  it('request: GET under /api/ allows; another method or path denies', async () => {
    expectAllowed(await as(BOB, 'request', '/api/items'), 'bob');
    expectAllowed(await as(BOB, 'request', '/api/items', 'HEAD'), 'bob');
    expectDenied(await as(BOB, 'request', '/api/items', 'POST'));
    expectDenied(await as(BOB, 'request', '/admin'));
    expectDenied(await as(BOB, 'request', '/v2/api/items'));
  });

  it('expression over identity and request: staff, GET, this host, this client', async () => {
    expectAllowed(await as(BOB, 'expression'), 'bob');
    expectDenied(await as(BOB, 'expression', '/', 'DELETE'));
    expectDenied(await as(BOB, 'expression', '/', 'GET', { 'x-forwarded-for': '10.9.9.9' }));
  });

  it('expression over claims', async () => {
    expectAllowed(await as(ALICE, 'expression-claims'), 'alice');
    expectDenied(await as(BOB, 'expression-claims'));
  });

  it('an expression that fails denies its binding even when negated; another binding may still allow with any', async () => {
    expectDenied(await as(ALICE, 'expression-error'));
    expectAllowed(await as(BOB, 'expression-error-any'), 'bob');
  });
});

describe('bindings', () => {
  it('negate turns a group match into a denial', async () => {
    expectAllowed(await as(BOB, 'negated'), 'bob');
    expectDenied(await as(ALICE, 'negated'));
  });

  it('negate turns a network match into a denial', async () => {
    expectDenied(await as(BOB, 'negated-network'));
    expectAllowed(await as(BOB, 'negated-network', '/', 'GET', { 'x-forwarded-for': '10.1.2.3' }), 'bob');
  });

  it('all: every binding must allow', async () => {
    expectAllowed(await as(ALICE, 'all'), 'alice');
    expectDenied(await as(BOB, 'all'));
  });

  it('any: one allowing binding is enough', async () => {
    expectAllowed(await as(ALICE, 'any', '/admin'), 'alice');
    expectAllowed(await as(BOB, 'any', '/api/items'), 'bob');
    expectDenied(await as(BOB, 'any', '/admin'));
  });

  it('no bindings: every authenticated identity passes, the anonymous do not', async () => {
    expectAllowed(await as(BOB, 'unbound'), 'bob');
    const anonymous = await stack.send('unbound', '/', { headers: { accept: 'application/json' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.upstream).toBeUndefined();
  });

  it('policies come after authentication: no credentials is a 401, not a 403', async () => {
    const res = await stack.send('group', '/', { headers: { accept: 'application/json' } });
    expect(res.status).toBe(401);
    expect(res.upstream).toBeUndefined();
  });
});

describe('how a denial looks', () => {
  it('to a browser: 403 with an HTML page', async () => {
    const res = await as(BOB, 'app', '/', 'GET', { accept: 'text/html,application/xhtml+xml' });
    expectDenied(res);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/<html/i);
    expect(res.text).toContain('403');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('to an API client: 403 with JSON, and no challenge for a Basic caller', async () => {
    const res = await as(BOB, 'app', '/', 'GET', { accept: 'application/json' });
    expectDenied(res);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.text)).toMatchObject({ error: 'forbidden' });
    expect(lines(res.headers, 'www-authenticate')).toEqual([]);
  });

  it('to a Bearer caller: WWW-Authenticate with error="insufficient_scope"', async () => {
    const res = await as(bearer(await accessTokenFor(stack.idp, 'bob')), 'app');
    expectDenied(res);
    expect(lines(res.headers, 'www-authenticate')).toEqual(['Bearer realm="app", error="insufficient_scope"']);
    expect(JSON.parse(res.text)).toMatchObject({ error: 'forbidden' });
  });

  it('the same identity on an allowing application reaches the upstream', async () => {
    const res = await as(bearer(await accessTokenFor(stack.idp, 'alice')), 'app');
    expectAllowed(res, 'alice');
  });
});
