/**
 * What the upstream receives about the caller (DESIGN.md §5): exactly one of each identity
 * header, set by Portcullis and never by the client, whatever spelling the client tries; no
 * consumed credentials; Portcullis's own session cookie removed and every other cookie kept
 * byte for byte. Header lines are sent over bare TCP where an HTTP client would normalize them.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessTokenFor,
  basic,
  bearer,
  endpointsOf,
  jwtPayload,
  lines,
  PASSWORDS,
  startAuthStack,
  type AuthStack,
  type GatewayUnderTest,
} from '../support/auth-stack.js';
import type { EchoRequest } from '../../src/demo/echo-upstream.js';
import { authentikNames, fieldLines, fieldValues, IDENTITY_HEADERS, onlyValue } from '../support/upstream-view.js';

let stack: AuthStack;
let skipping: GatewayUnderTest;
let session: { name: string; value: string };

const ALICE_BASIC = basic('alice', PASSWORDS.alice.cli);

/** Spoofed identity headers in every spelling a lenient upstream might fold onto the real one. */
const SPOOFS = [
  'X-authentik-username: mallory',
  'X-Authentik-Username: mallory',
  'x-AUTHENTIK-username: mallory',
  'X-AUTHENTIK-USERNAME: mallory',
  'X_Authentik_Username: mallory',
  'x-authentik_username: mallory',
  'x_authentik_username: mallory',
  'X-Authentik-Groups: admins|mallory',
  'x-authentik-GROUPS: admins',
  'X_AUTHENTIK_GROUPS: admins',
  'X-authentik-email: mallory@evil.test',
  'X-authentik-uid: mallory',
  'X-authentik-jwt: forged.jwt.value',
  'X-authentik-meta-app: mallory',
  'X-Authentik-Something-New: mallory',
  // Any "_" header: CGI, WSGI and PHP turn "-" and "_" into the same variable name.
  'Remote_User: mallory',
  'HTTP_X_AUTHENTIK_USERNAME: mallory',
  'X-Forwarded_User: mallory',
  'X_Custom: mallory',
];

beforeAll(async () => {
  stack = await startAuthStack();
  skipping = await stack.gateway({ app: 'skipPathRegex: ["^/public/"]' });
  const login = await stack.get('/', { authorization: ALICE_BASIC });
  expect(login.status).toBe(200);
  const [cookie = ''] = lines(login.headers, 'set-cookie');
  const match = /^([^=;]+)=([^;]*)/.exec(cookie);
  if (match === null) {
    throw new Error(`no session cookie after a Basic login: ${JSON.stringify(cookie)}`);
  }
  session = { name: match[1] as string, value: match[2] as string };
});
afterAll(async () => {
  await stack?.close();
});

function received(seen: EchoRequest | undefined): EchoRequest {
  expect(seen, 'the upstream was not contacted').toBeDefined();
  return seen as EchoRequest;
}

/** Every identity header exactly once, with alice's values; no other x-authentik-* line. */
async function expectAliceHeaders(seen: EchoRequest): Promise<void> {
  for (const name of IDENTITY_HEADERS) {
    expect(fieldValues(seen, name), name).toHaveLength(1);
  }
  expect(authentikNames(seen).sort()).toEqual(IDENTITY_HEADERS.map((name) => name.toLowerCase()).sort());
  expect(onlyValue(seen, 'x-authentik-username')).toBe('alice');
  expect(onlyValue(seen, 'x-authentik-groups')).toBe('staff|admins');
  expect(onlyValue(seen, 'x-authentik-entitlements')).toBe('grafana-editor');
  expect(onlyValue(seen, 'x-authentik-email')).toBe('alice@example.com');
  expect(onlyValue(seen, 'x-authentik-name')).toBe('Alice Example');
  expect(onlyValue(seen, 'x-authentik-uid')).toBe(stack.idp.userClaims('alice').sub);
  expect(jwtPayload(onlyValue(seen, 'x-authentik-jwt'))).toMatchObject({ preferred_username: 'alice', iss: stack.idp.issuer });
  expect(onlyValue(seen, 'x-authentik-meta-app')).toBe('app');
  expect(onlyValue(seen, 'x-authentik-meta-outpost')).toBe('portcullis');
  expect(onlyValue(seen, 'x-authentik-meta-provider')).toBe('portcullis');
  expect(onlyValue(seen, 'x-authentik-meta-jwks')).toBe((await endpointsOf(stack.idp)).jwks_uri);
  expect(onlyValue(seen, 'x-authentik-meta-version')).toMatch(/^goauthentik\.io\/outpost\/\d+\.\d+\.\d+/);
}

function expectNoSpoofArrived(seen: EchoRequest): void {
  const names = fieldLines(seen).map(([name]) => name);
  expect(names.filter((name) => name.includes('_')), 'header names with "_"').toEqual([]);
  expect(names.filter((name) => /^x-authentik-something-new$/i.test(name))).toEqual([]);
  expect(fieldLines(seen).filter(([, value]) => value.includes('mallory') || value.includes('forged'))).toEqual([]);
}

describe('identity headers after a Basic login', () => {
  it('arrive exactly once each, with the identity\'s values', async () => {
    const res = await stack.get('/dashboard', { authorization: ALICE_BASIC });
    expect(res.status).toBe(200);
    await expectAliceHeaders(received(res.upstream));
  });

  it('replace client-sent spoofs in every case variant and with "_", which never arrive', async () => {
    const res = await stack.raw('/dashboard', [`Authorization: ${ALICE_BASIC}`, ...SPOOFS]);
    expect(res.status).toBe(200);
    const seen = received(res.upstream);
    await expectAliceHeaders(seen);
    expectNoSpoofArrived(seen);
  });

  it('replace spoofs sent before and after the credentials, several times over', async () => {
    const res = await stack.raw('/dashboard', [...SPOOFS, `Authorization: ${ALICE_BASIC}`, ...SPOOFS]);
    expect(res.status).toBe(200);
    const seen = received(res.upstream);
    await expectAliceHeaders(seen);
    expectNoSpoofArrived(seen);
  });

  it('replace spoofs for a session caller too', async () => {
    const res = await stack.raw('/', [`Cookie: ${session.name}=${session.value}`, ...SPOOFS]);
    expect(res.status).toBe(200);
    const seen = received(res.upstream);
    await expectAliceHeaders(seen);
    expectNoSpoofArrived(seen);
  });
});

describe('consumed credentials', () => {
  it('the Basic Authorization never arrives', async () => {
    const res = await stack.get('/', { authorization: ALICE_BASIC });
    expect(res.status).toBe(200);
    expect(fieldValues(received(res.upstream), 'authorization')).toEqual([]);
  });

  it('the Bearer Authorization never arrives', async () => {
    const res = await stack.get('/', { authorization: bearer(await accessTokenFor(stack.idp, 'bob')) });
    expect(res.status).toBe(200);
    const seen = received(res.upstream);
    expect(fieldValues(seen, 'authorization')).toEqual([]);
    expect(onlyValue(seen, 'x-authentik-username')).toBe('bob');
  });

  it('a lower-case or shouting authorization line does not arrive either', async () => {
    for (const line of [`authorization: ${ALICE_BASIC}`, `AUTHORIZATION: ${ALICE_BASIC}`]) {
      const res = await stack.raw('/', [line]);
      expect(res.status, line).toBe(200);
      expect(fieldValues(received(res.upstream), 'authorization'), line).toEqual([]);
    }
  });
});

describe('the Cookie header', () => {
  // [what the client sends, what the upstream must receive]; the session pair is spliced in.
  const cases: [string, (s: string) => string, string | null][] = [
    ['in the middle', (s) => `a=1; ${s}; b=2`, 'a=1; b=2'],
    ['first, no spaces', (s) => `${s};a=1;b=2`, 'a=1;b=2'],
    ['last', (s) => `theme=dark; ${s}`, 'theme=dark'],
    ['among oddly spaced pairs, whose spacing is kept', (s) => `theme=dark;   lang=en-US ;${s};x=1`, 'theme=dark;   lang=en-US ;x=1'],
    ['between oddly spaced pairs', (s) => `z="q r";x=;  ${s} ;y=%20y`, 'z="q r";x=;y=%20y'],
    ['next to a cookie whose name only starts like it', (s) => `${s}; ${s.split('=')[0]}x=keep; other=1`, 'SESSIONx=keep; other=1'],
    ['alone', (s) => s, null],
  ];

  for (const [what, build, expected] of cases) {
    it(`loses only the session cookie when it is ${what}`, async () => {
      const sent = build(`${session.name}=${session.value}`);
      const res = await stack.raw('/', [`Cookie: ${sent}`]);
      expect(res.status).toBe(200);
      const seen = received(res.upstream);
      expect(onlyValue(seen, 'x-authentik-username')).toBe('alice');
      const want = expected === null ? [] : [expected.replace('SESSION', session.name)];
      expect(fieldValues(seen, 'cookie')).toEqual(want);
    });
  }

  it('loses the session cookie spread over two Cookie lines, the others arriving in order', async () => {
    const res = await stack.raw('/', ['Cookie: a=1', `Cookie: ${session.name}=${session.value}; b=2`]);
    expect(res.status).toBe(200);
    const seen = received(res.upstream);
    expect(onlyValue(seen, 'x-authentik-username')).toBe('alice');
    expect(fieldValues(seen, 'cookie')).toEqual(['a=1; b=2']);
  });

  it('loses every copy of the session cookie (a stale one next to a fresh one)', async () => {
    // Two cookies of one name are ambiguous, so the session is not used; Basic decides.
    const sent = `${session.name}=${session.value}; keep=1; ${session.name}=stale`;
    const res = await stack.raw('/', [`Authorization: ${ALICE_BASIC}`, `Cookie: ${sent}`]);
    expect(res.status).toBe(200);
    expect(fieldValues(received(res.upstream), 'cookie')).toEqual(['keep=1']);
  });

  it('arrives untouched when it holds no session cookie', async () => {
    const sent = 'a=1;b=2 ;  c="x;y"';
    const res = await stack.raw('/', [`Authorization: ${ALICE_BASIC}`, `Cookie: ${sent}`]);
    expect(res.status).toBe(200);
    expect(fieldValues(received(res.upstream), 'cookie')).toEqual([sent]);
  });
});

describe('skip paths', () => {
  it('remove the client\'s identity headers and set none', async () => {
    const res = await skipping.raw('/public/page', SPOOFS);
    expect(res.status).toBe(200);
    const seen = received(res.upstream);
    expect(authentikNames(seen)).toEqual([]);
    expectNoSpoofArrived(seen);
  });

  it('pass on the identity of a caller with valid credentials, stripped of them, as authentik does', async () => {
    const res = await skipping.raw('/public/page', [`Authorization: ${ALICE_BASIC}`, `Cookie: ${session.name}=${session.value}; a=1`, ...SPOOFS]);
    expect(res.status).toBe(200);
    const seen = received(res.upstream);
    expect(onlyValue(seen, 'x-authentik-username')).toBe('alice');
    expect(fieldValues(seen, 'authorization')).toEqual([]);
    expectNoSpoofArrived(seen);
    // The session cookie is Portcullis's even where no login is needed.
    expect(fieldValues(seen, 'cookie')).toEqual(['a=1']);
  });

  it('pass on the identity of a session cookie alone', async () => {
    // A session of this gateway (each test gateway keeps its own sessions in memory).
    const login = await skipping.get('/private', { authorization: ALICE_BASIC });
    const own = /^([^=;]+)=([^;]*)/.exec(lines(login.headers, 'set-cookie')[0] ?? '');
    expect(own).not.toBeNull();
    const res = await skipping.raw('/public/page', [`Cookie: ${own?.[1]}=${own?.[2]}`]);
    expect(res.status).toBe(200);
    expect(onlyValue(received(res.upstream), 'x-authentik-username')).toBe('alice');
  });

  it('stay open to a caller whose credentials are wrong, forwarding none of them and no identity', async () => {
    const res = await skipping.raw('/public/page', ['Authorization: Basic YWxpY2U6d3Jvbmc=', `Cookie: ${session.name}=forged`]);
    expect(res.status).toBe(200);
    const seen = received(res.upstream);
    expect(authentikNames(seen)).toEqual([]);
    expect(fieldValues(seen, 'authorization')).toEqual([]);
  });

  it('leave the rest of the gateway protected', async () => {
    const res = await skipping.raw('/private', ['X-Authentik-Username: alice', 'X-Authentik-No-Redirect: 1']);
    expect(res.status).toBe(401);
    expect(res.upstream).toBeUndefined();
  });
});
