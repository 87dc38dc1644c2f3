/**
 * Path tricks over HTTP: skip paths and request policies match the normalized path, and the
 * upstream receives exactly that path, so `/public/../admin` cannot mean "public" to the
 * decision and "admin" to the application. Encoded slashes, backslashes and NULs, which
 * servers disagree about, are refused with 400. Request lines go over bare TCP, byte for byte.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoRequest } from '../../src/demo/echo-upstream.js';
import { basic, PASSWORDS, type RawAnswer } from '../support/auth-stack.js';
import { startPolicyStack, type PolicyStack } from '../support/policy-stack.js';
import { authentikNames, onlyValue, upstreamPath } from '../support/upstream-view.js';

const SKIP = /^\/public\//;
const ALICE = `Authorization: ${basic('alice', PASSWORDS.alice.cli)}`;
const NO_REDIRECT = 'X-Authentik-No-Redirect: 1';

/** [request target as sent, the normalized path, or 400 when it must be refused]. */
const CORPUS: [string, string | 400][] = [
  // dot segments, plain and encoded
  ['/public/../admin', '/admin'],
  ['/public/%2e%2e/admin', '/admin'],
  ['/public/%2E%2E/admin', '/admin'],
  ['/public/.%2e/admin', '/admin'],
  ['/public/%2e./admin', '/admin'],
  ['/public/./../admin', '/admin'],
  ['/public/x/../../admin', '/admin'],
  ['/public/../../../../admin', '/admin'],
  ['/public//../admin', '/admin'],
  ['/public/x/..', '/public/'],
  ['/public/%2e', '/public/'],
  ['/public/./x', '/public/x'],
  // duplicate slashes
  ['//admin', '/admin'],
  ['///admin', '/admin'],
  ['//public/x', '/public/x'],
  // percent-encoded unreserved characters
  ['/%61dmin', '/admin'],
  ['/%70ublic/x', '/public/x'],
  ['/%70%75%62%6C%69%63/x', '/public/x'],
  // case: the skip rule is case-sensitive, and so is the path the upstream gets
  ['/PUBLIC/x', '/PUBLIC/x'],
  ['/Public/x', '/Public/x'],
  ['/public', '/public'],
  // encoded slash, backslash, NUL; raw backslash
  ['/public%2fadmin', 400],
  ['/public%2Fadmin', 400],
  ['/public/%2f../admin', 400],
  ['/public%5cadmin', 400],
  ['/public%5Cadmin', 400],
  ['/public\\admin', 400],
  ['/public/..\\admin', 400],
  ['/public\\..\\admin', 400],
  ['/public/%00', 400],
  ['/public/%00/../../admin', 400],
  // malformed and non-standard percent-encodings
  ['/public/%', 400],
  ['/public/%2', 400],
  ['/public/%zz/admin', 400],
  ['/public/%%32%65%%32%65/admin', 400],
  ['/public/%u002e%u002e/admin', 400],
  // percent-encoded bytes that are not UTF-8 (overlong dots, a stray 0xFF): the router cannot decode them
  ['/public/%c0%ae%c0%ae/admin', 400],
  ['/public/%e0%80%ae%e0%80%ae/admin', 400],
  ['/public/%ff', 400],
  // a double-encoded dot stays encoded: still under /public/
  ['/public/%252e%252e/admin', '/public/%252e%252e/admin'],
  ['/public/%0d%0aX-Injected:%201', '/public/%0D%0AX-Injected:%201'],
  // ";" parameters are part of the segment
  ['/public;/../admin', '/admin'],
  ['/admin;/public/', '/admin;/public/'],
  ['/admin;jsessionid=1', '/admin;jsessionid=1'],
  ['/public/;/../../admin', '/admin'],
  ['/public/x;y=z', '/public/x;y=z'],
  // a fragment sent by a broken client is data, not a separator
  ['/public/x#/../../admin', '/admin'],
];

/**
 * Targets whose normalized path is still under /public/ (the decision is "skip"), but which the
 * proxy layer (@fastify/http-proxy) refuses with 400 before contacting the upstream, because
 * it sees a `..` in them: `..;` is not a dot segment to Portcullis, but it is one to Tomcat.
 */
const REFUSED_BY_PROXY: [string, string][] = [
  ['/public/..;/admin', '/public/..;/admin'],
  ['/public/..%3B/admin', '/public/..%3B/admin'],
];

let stack: PolicyStack;

beforeAll(async () => {
  stack = await startPolicyStack({
    files: {
      'paths.yaml': 'name: api-reads\nkind: request\nmethods: [GET]\npaths: ["^/api/"]\n---\nname: admin-paths\nkind: request\npaths: ["^/admin"]\n',
    },
    apps: [
      { name: 'site', extra: 'skipPathRegex: ["^/public/"]' },
      { name: 'api', bindings: ['api-reads'] },
      { name: 'noadmin', bindings: ['!admin-paths'] },
    ],
  });
});
afterAll(async () => {
  await stack?.close();
});

function expectRefused(res: RawAnswer, target: string): void {
  expect(res.status, target).toBe(400);
  expect(res.upstream, `${target} reached the upstream`).toBeUndefined();
  expect(JSON.parse(res.body), target).toMatchObject({ error: 'invalid_path' });
}

function seenBy(res: RawAnswer, target: string): EchoRequest {
  expect(res.upstream, `${target} did not reach the upstream`).toBeDefined();
  return res.upstream as EchoRequest;
}

describe('skipPathRegex ["^/public/"] without credentials', () => {
  for (const [target, normalized] of CORPUS) {
    it(`${JSON.stringify(target)} → ${normalized}`, async () => {
      const res = await stack.raw('site', target, [NO_REDIRECT]);
      if (normalized === 400) {
        expectRefused(res, target);
        return;
      }
      if (!SKIP.test(normalized)) {
        // Protected: the caller must authenticate; nothing reached the upstream.
        expect(res.status, target).toBe(401);
        expect(res.upstream, `${target} reached a protected path unauthenticated`).toBeUndefined();
        return;
      }
      expect(res.status, target).toBe(200);
      const seen = seenBy(res, target);
      expect(upstreamPath(seen)).toBe(normalized);
      expect(authentikNames(seen)).toEqual([]);
    });
  }

  for (const [target, normalized] of REFUSED_BY_PROXY) {
    it(`${JSON.stringify(target)} → ${normalized}, then refused by the proxy layer`, async () => {
      expect(SKIP.test(normalized)).toBe(true);
      for (const lines of [[NO_REDIRECT], [ALICE]]) {
        const res = await stack.raw('site', target, lines);
        expect(res.status, target).toBe(400);
        expect(res.upstream, `${target} reached the upstream`).toBeUndefined();
        expect(JSON.parse(res.body)).toMatchObject({ error: 'bad_request' });
      }
      const logged = stack.gw.logs().filter((line) => line['msg'] === 'request' && line['path'] === normalized);
      expect(logged.length, `access-log lines for ${normalized}`).toBeGreaterThan(0);
    });
  }

  it('no request without credentials ever reached a path outside /public/', () => {
    const leaked = stack.echo.received.filter((seen) => !SKIP.test(upstreamPath(seen)) && seen.headers['x-authentik-username'] === undefined);
    expect(leaked.map((seen) => seen.url)).toEqual([]);
  });
});

describe('the upstream receives exactly the path the decision was made on', () => {
  for (const [target, normalized] of CORPUS) {
    if (normalized === 400) continue;
    it(`${JSON.stringify(target)} arrives as ${normalized}`, async () => {
      const res = await stack.raw('site', target, [ALICE]);
      expect(res.status, target).toBe(200);
      const seen = seenBy(res, target);
      expect(seen.url).toBe(normalized);
      // Skip path or not, a caller with valid credentials is passed on as who they are (DESIGN.md §5).
      expect(onlyValue(seen, 'x-authentik-username')).toBe('alice');
    });
  }

  it('the query is passed byte for byte and plays no part in the path', async () => {
    const res = await stack.raw('site', '/public/x?/../../admin&a=%2F%00%5c', [NO_REDIRECT]);
    expect(res.status).toBe(200);
    expect(seenBy(res, 'query').url).toBe('/public/x?/../../admin&a=%2F%00%5c');
  });

  it('an absolute-form target on the application is decided on its normalized path like any other', async () => {
    const denied = await stack.raw('site', 'http://site.test/public/../admin', [NO_REDIRECT]);
    expect(denied.status).toBe(401);
    expect(denied.upstream).toBeUndefined();
    const open = await stack.raw('site', 'http://site.test/x/../public/x', [NO_REDIRECT]);
    expect(open.status).toBe(200);
    expect(seenBy(open, 'absolute').url).toBe('/public/x');
  });

  it('absolute-form targets on other hosts, and asterisk targets, are refused', async () => {
    for (const target of ['http://elsewhere.test/public/x', 'http://site.test:8080/public/x', '*']) {
      const res = await stack.raw('site', target, [NO_REDIRECT]);
      expect(res.status, target).toBe(400);
      expect(res.upstream, target).toBeUndefined();
    }
  });
});

describe('request policies match the normalized path', () => {
  const api: [string, string | 403 | 400][] = [
    ['/api/items', '/api/items'],
    ['/x/../api/items', '/api/items'],
    ['/%61pi/items', '/api/items'],
    ['//api/items', '/api/items'],
    ['/v1/../api/./items', '/api/items'],
    ['/api/../admin', 403],
    ['/API/items', 403],
    ['/api%2fitems', 400],
    ['/x/api/items', 403],
  ];
  for (const [target, expected] of api) {
    it(`paths ["^/api/"]: ${JSON.stringify(target)} → ${expected}`, async () => {
      const res = await stack.raw('api', target, [ALICE]);
      if (expected === 400) {
        expectRefused(res, target);
      } else if (expected === 403) {
        expect(res.status, target).toBe(403);
        expect(res.upstream, target).toBeUndefined();
      } else {
        expect(res.status, target).toBe(200);
        expect(seenBy(res, target).url).toBe(expected);
      }
    });
  }

  const admin: [string, string | 403][] = [
    ['/admin', 403],
    ['/public/../admin', 403],
    ['/%61dmin/users', 403],
    ['//admin', 403],
    ['/x/..//admin', 403],
    ['/admin;x=1', 403],
    ['/./admin/', 403],
    ['/Admin', '/Admin'],
    ['/dashboard', '/dashboard'],
  ];
  for (const [target, expected] of admin) {
    it(`negated paths ["^/admin"]: ${JSON.stringify(target)} → ${expected}`, async () => {
      const res = await stack.raw('noadmin', target, [ALICE]);
      if (expected === 403) {
        expect(res.status, target).toBe(403);
        expect(res.upstream, target).toBeUndefined();
      } else {
        expect(res.status, target).toBe(200);
        expect(seenBy(res, target).url).toBe(expected);
      }
    });
  }
});
