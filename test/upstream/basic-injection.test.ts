/**
 * `upstreamBasicAuth` (authentik's "Send HTTP-Basic Authentication"): the upstream gets its own
 * Basic credentials from the user's merged attributes (group attributes under the user's own),
 * falling back to the e-mail and an empty password, and nothing at all when the pair could not
 * be carried faithfully (RFC 7617 §2: no colon in the user-id, no control characters).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoRequest } from '../../src/demo/echo-upstream.js';
import { accessTokenFor, basic, bearer, lines, PASSWORDS, startAuthStack, type Answer, type AuthStack, type GatewayUnderTest } from '../support/auth-stack.js';
import { HOSTILE, HOSTILE_PASSWORD, hostileUsersFile, type HostileName } from '../support/hostile-users.js';
import { fieldValues, onlyValue } from '../support/upstream-view.js';

let stack: AuthStack;
let customAttributes: GatewayUnderTest;
let missingAttributes: GatewayUnderTest;

beforeAll(async () => {
  stack = await startAuthStack({ idp: { users: hostileUsersFile() }, app: 'upstreamBasicAuth: { enabled: true }' });
  customAttributes = await stack.gateway({ app: 'upstreamBasicAuth: { enabled: true, usernameAttribute: team, passwordAttribute: shell }' });
  missingAttributes = await stack.gateway({ app: 'upstreamBasicAuth: { enabled: true, usernameAttribute: nope, passwordAttribute: nada }' });
});
afterAll(async () => {
  await stack?.close();
});

function received(res: Answer): EchoRequest {
  expect(res.status, res.text).toBe(200);
  expect(res.upstream, 'the upstream was not contacted').toBeDefined();
  return res.upstream as EchoRequest;
}

function hostile(gw: GatewayUnderTest, name: HostileName): Promise<Answer> {
  return gw.get('/', { authorization: basic(HOSTILE[name].username, HOSTILE_PASSWORD) });
}

/** The one Authorization line the upstream received, decoded; fails unless there is exactly one. */
function upstreamBasic(seen: EchoRequest): string {
  const value = onlyValue(seen, 'authorization');
  expect(value).toMatch(/^Basic [A-Za-z0-9+/]+=*$/);
  return Buffer.from(value.slice('Basic '.length), 'base64').toString('utf8');
}

describe('credentials from the merged attributes', () => {
  it('alice: her own app_username/app_password win over her group\'s', async () => {
    const seen = received(await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) }));
    expect(onlyValue(seen, 'authorization')).toBe(`Basic ${Buffer.from('alice-grafana:s3cret').toString('base64')}`);
    expect(onlyValue(seen, 'x-authentik-username')).toBe('alice');
  });

  it('bob: the staff group\'s shared credentials', async () => {
    const seen = received(await stack.get('/', { authorization: basic('bob', PASSWORDS.bob.cli) }));
    expect(upstreamBasic(seen)).toBe('staff-shared:staff-shared-password');
  });

  it('bob with a Bearer token: the same credentials replace his token', async () => {
    const seen = received(await stack.get('/', { authorization: bearer(await accessTokenFor(stack.idp, 'bob')) }));
    expect(upstreamBasic(seen)).toBe('staff-shared:staff-shared-password');
  });

  it('bob with the session cookie from that login: the same credentials', async () => {
    const login = await stack.get('/', { authorization: basic('bob', PASSWORDS.bob.cli) });
    const [cookie = ''] = lines(login.headers, 'set-cookie');
    const seen = received(await stack.get('/', { cookie: cookie.split(';')[0] as string }));
    expect(onlyValue(seen, 'x-authentik-username')).toBe('bob');
    expect(upstreamBasic(seen)).toBe('staff-shared:staff-shared-password');
  });

  it('configured attribute names read the merge: a later group overrides an earlier one, the user overrides both', async () => {
    // alice: staff {team: ops, shell: /bin/bash}, then admins {team: platform}, then her own {shell: /bin/zsh}.
    const seen = received(await customAttributes.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) }));
    expect(upstreamBasic(seen)).toBe('platform:/bin/zsh');
    const bob = received(await customAttributes.get('/', { authorization: basic('bob', PASSWORDS.bob.cli) }));
    expect(upstreamBasic(bob)).toBe('ops:/bin/bash');
  });

  it('a password with colons and non-ASCII is carried whole, as UTF-8', async () => {
    const seen = received(await hostile(stack, 'colonPassword'));
    expect(upstreamBasic(seen)).toBe('svc-ü:p:a:ss wörd');
  });
});

describe('fallbacks', () => {
  it('without the attributes: the e-mail and an empty password', async () => {
    const seen = received(await hostile(stack, 'noAttributes'));
    expect(onlyValue(seen, 'authorization')).toBe(`Basic ${Buffer.from('plainuser@example.com:').toString('base64')}`);
  });

  it('configured attribute names nobody has: the e-mail and an empty password', async () => {
    const seen = received(await missingAttributes.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) }));
    expect(upstreamBasic(seen)).toBe('alice@example.com:');
  });
});

describe('nothing is sent rather than something wrong', () => {
  it('when the username holds ":" (the upstream would split it elsewhere)', async () => {
    const seen = received(await hostile(stack, 'colonUsername'));
    expect(fieldValues(seen, 'authorization')).toEqual([]);
    expect(onlyValue(seen, 'x-authentik-username')).toBe('colon');
  });

  it('when the password holds CR LF', async () => {
    const seen = received(await hostile(stack, 'crlfPassword'));
    expect(fieldValues(seen, 'authorization')).toEqual([]);
    expect(fieldValues(seen, 'x-injected')).toEqual([]);
  });

  it('when there are neither attributes nor an e-mail', async () => {
    const seen = received(await hostile(stack, 'noEmail'));
    expect(fieldValues(seen, 'authorization')).toEqual([]);
  });
});

describe('when disabled', () => {
  it('the upstream gets no Authorization at all', async () => {
    const plain = await stack.gateway();
    const seen = received(await plain.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) }));
    expect(fieldValues(seen, 'authorization')).toEqual([]);
  });
});
