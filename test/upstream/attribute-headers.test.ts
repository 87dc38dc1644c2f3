/**
 * The `additionalHeaders` user attribute (authentik's documented attribute): merged over the
 * groups' attributes by the IdP, sent upstream and on forward-auth decisions, checked entry by
 * entry. Names Portcullis manages, identity headers, credentials, control characters in values,
 * non-string values and oversized maps are refused one by one, logged, never a 500 and never a
 * spoofed identity (issue 14).
 */

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { hashPassword, parseUsersFile, type UsersFile } from '../../src/devidp/index.js';
import { MAX_ATTRIBUTE_HEADERS } from '../../src/upstream/index.js';
import { request } from 'undici';
import { basic, startAuthStack, USERS_FILE, type AuthStack } from '../support/auth-stack.js';
import { startGateway } from '../support/gateway.js';

const PASSWORD = 'header-app-password';

function usersWithHeaderAttributes(): UsersFile {
  const base = parse(readFileSync(USERS_FILE, 'utf8')) as { users: unknown[]; groups: unknown[]; clients: unknown[] };
  const hash = hashPassword(PASSWORD);
  const user = (username: string, groups: string[], additionalHeaders: unknown) => ({
    username,
    email: `${username}@example.com`,
    name: username,
    groups,
    attributes: additionalHeaders === undefined ? {} : { additionalHeaders },
    appPasswords: [{ name: 'cli', hash }],
  });
  const many = Object.fromEntries(Array.from({ length: MAX_ATTRIBUTE_HEADERS + 5 }, (_, i) => [`X-Many-${i}`, `v${i}`]));
  return parseUsersFile(
    {
      ...base,
      groups: [...base.groups, { name: 'headers', attributes: { additionalHeaders: { 'X-Team': 'from-group', 'X-Group-Only': 'group' } } }],
      users: [
        ...base.users,
        user('tess', ['headers'], { 'X-Team': 'from-user', 'X-Number': 42, 'X-Unicode': 'équipe', 'X-User-Only': 'user' }),
        user('mallory', [], {
          'X-Authentik-Username': 'admin',
          'x-authentik-groups': 'admins',
          Authorization: 'Basic YWRtaW46YWRtaW4=',
          Host: 'evil.example',
          'Transfer-Encoding': 'chunked',
          Cookie: 'session=stolen',
          X_Authentik_Uid: 'admin',
          'Bad Name': 'x',
          'X-Crlf': 'a\r\nX-Injected: 1',
          'X-Object': { nested: true },
          'X-List': ['a'],
          'Set-Cookie': 'session=planted',
          'Cache-Control': 'public, max-age=31536000',
          Location: 'https://evil.example/',
          'Content-Type': 'text/html',
          'X-Fine': 'fine',
        }),
        user('octopus', [], many),
        user('notamap', [], 'X-Header: value'),
      ],
    },
    { source: 'attribute-headers users' },
  );
}

let stack: AuthStack;

beforeAll(async () => {
  stack = await startAuthStack({ idp: { users: usersWithHeaderAttributes() }, app: 'additionalHeaders: { X-Static: "static", X-Team: "static-team" }' });
});
afterAll(async () => {
  await stack?.close();
});

async function upstreamHeadersOf(username: string): Promise<Record<string, string | string[] | undefined>> {
  const res = await stack.get('/x', { authorization: basic(username, PASSWORD) });
  expect(res.status).toBe(200);
  return res.upstream?.headers ?? {};
}

describe('the additionalHeaders attribute', () => {
  it('reaches the upstream after the static ones, the user\'s entries over the group\'s; numbers as text, non-ASCII encoded', async () => {
    const headers = await upstreamHeadersOf('tess');
    expect(headers).toMatchObject({
      // Set after the static X-Team (DESIGN.md §5): the user's attribute refines the default.
      'x-team': 'from-user',
      'x-group-only': 'group',
      'x-number': '42',
      'x-unicode': '%C3%A9quipe',
      'x-static': 'static',
      'x-authentik-username': 'tess',
    });
  });

  it('refuses, entry by entry, what would spoof an identity, a credential or the framing, and logs each once', async () => {
    const headers = await upstreamHeadersOf('mallory');
    expect(headers['x-authentik-username']).toBe('mallory');
    expect(headers['x-authentik-groups']).toBe('');
    expect(headers.authorization).toBeUndefined();
    expect(headers.host).not.toBe('evil.example');
    expect(headers.cookie).toBeUndefined();
    expect(headers['x-injected']).toBeUndefined();
    expect(headers['x-crlf']).toBeUndefined();
    expect(headers['x-object']).toBeUndefined();
    expect(headers['x-fine']).toBe('fine');
    await upstreamHeadersOf('mallory');
    const logged = stack.gw.logs().filter((line) => line.msg === 'headers of the additionalHeaders attribute refused' && line.user === 'mallory');
    expect(logged).toHaveLength(1);
    const refused = (logged[0]?.refused as { name: string }[]).map((r) => r.name).sort();
    expect(refused).toEqual(
      ['Authorization', 'Bad Name', 'Cache-Control', 'Content-Type', 'Cookie', 'Host', 'Location', 'Set-Cookie', 'Transfer-Encoding', 'X-Authentik-Username', 'X-Crlf', 'X-List', 'X-Object', 'X_Authentik_Uid', 'x-authentik-groups'].sort(),
    );
  });

  it(`sends at most ${MAX_ATTRIBUTE_HEADERS} of them`, async () => {
    const headers = await upstreamHeadersOf('octopus');
    expect(Object.keys(headers).filter((name) => name.startsWith('x-many-'))).toHaveLength(MAX_ATTRIBUTE_HEADERS);
    const logged = stack.gw.logs().find((line) => line.msg === 'headers of the additionalHeaders attribute refused' && line.user === 'octopus');
    expect((logged?.refused as unknown[]).length).toBe(5);
  });

  it('ignores an attribute that is not a mapping, with a log line', async () => {
    const headers = await upstreamHeadersOf('notamap');
    expect(headers['x-header']).toBeUndefined();
    expect(stack.gw.logs().some((line) => line.msg === 'headers of the additionalHeaders attribute refused' && line.user === 'notamap')).toBe(true);
  });

  it('is part of a forward-auth decision too', async () => {
    const fwd = await startGateway(`
listen: "127.0.0.1:0"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
identity: { issuer: "${stack.idp.issuer}", clientId: portcullis, clientSecret: portcullis-dev-secret }
applications:
  - name: fwd
    externalHost: "http://fwd.test"
    mode: forward_single
`);
    try {
      const res = await request(`${fwd.url}/outpost.goauthentik.io/auth/traefik`, {
        headers: {
          host: 'fwd.test',
          authorization: basic('tess', PASSWORD),
          'x-forwarded-proto': 'http',
          'x-forwarded-host': 'fwd.test',
          'x-forwarded-uri': '/x',
          'x-forwarded-method': 'GET',
        },
      });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-team']).toBe('from-user');
      expect(res.headers['x-group-only']).toBe('group');
      expect(res.headers['x-authentik-username']).toBe('tess');
    } finally {
      await fwd.close();
    }
  });
});
