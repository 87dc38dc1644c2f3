import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { ValidationError } from '../../src/errors/index.js';
import { loadUsersFile, parseUsersFile } from '../../src/devidp/index.js';
import { defaultUid } from '../../src/devidp/users/file.js';
import { USERS_FILE } from './support.js';

const HASH = 'scrypt$16384$8$1$mIpOlgnOp4C0M9eVLaghLQ==$LZs5PVtkHUEK2kKzQCvBuCmyzTpEgHOlYxh/pBs4UHk=';

function problemsOf(raw: unknown): { path: string; message: string }[] {
  try {
    parseUsersFile(raw, 'users.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('PCL_USERS_INVALID');
    return [...(err as ValidationError).problems];
  }
  throw new Error('expected the users file to be refused');
}

const client = { id: 'portcullis', secret: 's', redirectUris: ['http://app.localhost:9000/outpost.goauthentik.io/callback'] };

describe('users file', () => {
  it('loads the sample test file with defaults filled in', async () => {
    const file = await loadUsersFile(USERS_FILE);
    expect(file.users.map((u) => u.username)).toEqual(['alice', 'bob', 'carol']);
    const [alice, bob, carol] = file.users;
    expect(alice).toMatchObject({ active: true, groups: ['staff', 'admins'], entitlements: ['grafana-editor'], uid: defaultUid('alice') });
    expect(bob?.entitlements).toEqual([]);
    expect(carol?.active).toBe(false);
    expect(file.groups.find((g) => g.name === 'admins')?.superuser).toBe(true);
    expect(file.clients[0]).toMatchObject({ id: 'portcullis', backchannelLogoutUri: '', postLogoutRedirectUris: ['http://app.localhost:9000/', 'http://127.0.0.1:9000/'] });
    expect(Object.isFrozen(file.users[0]?.attributes)).toBe(true);
  });

  it('validates the demo users file', async () => {
    const file = await loadUsersFile(fileURLToPath(new URL('../../src/demo/users.yaml', import.meta.url)));
    expect(file.clients.map((c) => c.id)).toEqual(['portcullis']);
    expect(file.clients[0]?.redirectUris).toContain('http://app.localhost:9000/outpost.goauthentik.io/callback');
  });

  it('derives a stable sub from the username unless a uid is given', () => {
    const file = parseUsersFile({ users: [{ username: 'dave' }, { username: 'erin', uid: 'erin-0001', name: 'Erin' }] }, 'users.yaml');
    expect(file.users[0]?.uid).toBe(defaultUid('dave'));
    expect(file.users[0]?.uid).toMatch(/^[0-9a-f]{64}$/);
    expect(file.users[0]?.name).toBe('dave');
    expect(file.users[1]?.uid).toBe('erin-0001');
  });

  it('names the dotted path of a bad app password hash without echoing it', () => {
    const problems = problemsOf({
      users: [
        { username: 'alice', password: HASH },
        { username: 'bob', appPasswords: [{ name: 'cli', hash: 'plaintext-secret' }] },
      ],
    });
    expect(problems).toEqual([{ path: 'users[1].appPasswords[0].hash', message: expect.stringMatching(/hashPassword/) }]);
    expect(JSON.stringify(problems)).not.toContain('plaintext-secret');
  });

  it('rejects unknown keys at every level', () => {
    const problems = problemsOf({
      user: [],
      users: [{ username: 'a', pasword: HASH, appPasswords: [{ name: 'x', hash: HASH, expires: 1 }] }],
      groups: [{ name: 'g', attrs: {} }],
      clients: [{ ...client, redirect_uris: [] }],
    });
    expect(problems.map((p) => p.path)).toEqual([
      'user',
      'groups[0].attrs',
      'users[0].pasword',
      'users[0].appPasswords[0].expires',
      'clients[0].redirect_uris',
    ]);
    expect(problems[0]?.message).toMatch(/unknown key \(expected one of: users, groups, clients, outpost\)/);
  });

  it('rejects duplicate usernames, uids, group names, client ids and app password names', () => {
    const problems = problemsOf({
      users: [
        { username: 'a', uid: 'same', appPasswords: [{ name: 'x', hash: HASH }, { name: 'x', hash: HASH }] },
        { username: 'a' },
        { username: 'b', uid: 'same' },
      ],
      groups: [{ name: 'g' }, { name: 'g' }],
      clients: [client, client],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'users[0].appPasswords[1].name', message: 'duplicate app password name "x" (first defined at users[0].appPasswords[0].name)' },
        { path: 'users[1].username', message: 'duplicate username "a" (first defined at users[0].username)' },
        { path: 'users[2].uid', message: expect.stringContaining('duplicate uid "same"') },
        { path: 'groups[1].name', message: expect.stringContaining('duplicate group name "g"') },
        { path: 'clients[1].id', message: expect.stringContaining('duplicate client id "portcullis"') },
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it('rejects a reference to an undefined group', () => {
    expect(problemsOf({ users: [{ username: 'a', groups: ['staff', 'admins'] }], groups: [{ name: 'staff' }] })).toEqual([
      { path: 'users[0].groups[1]', message: 'unknown group "admins" (define it under groups)' },
    ]);
  });

  it('reports wrong types with the value that was found', () => {
    const problems = problemsOf({
      users: [{ username: 42, active: 'yes', groups: 'staff', attributes: ['x'] }],
      clients: [{ id: 'c', secret: 's', redirectUris: ['not a url', 'http://a.example/cb#frag', 'ftp://a.example/'] }],
    });
    expect(problems).toEqual([
      { path: 'users[0].username', message: 'expected a string, got number 42' },
      { path: 'users[0].active', message: 'expected true or false, got "yes"' },
      { path: 'users[0].groups', message: 'expected a list, got "staff"' },
      { path: 'users[0].attributes', message: 'expected a mapping, got a list' },
      { path: 'clients[0].redirectUris[0]', message: expect.stringMatching(/expected an absolute http\(s\) URL/) },
      { path: 'clients[0].redirectUris[1]', message: expect.stringMatching(/without fragment/) },
      { path: 'clients[0].redirectUris[2]', message: expect.stringMatching(/http\(s\)/) },
    ]);
  });

  it('requires usernames, client ids, secrets and redirect URIs', () => {
    expect(problemsOf({ users: [{ email: 'x@example.com' }], clients: [{}] })).toEqual([
      { path: 'users[0].username', message: 'is required' },
      { path: 'clients[0].id', message: 'is required' },
      { path: 'clients[0].secret', message: 'is required' },
      { path: 'clients[0].redirectUris', message: 'is required' },
    ]);
  });

  it('refuses a username with a colon, which HTTP Basic could never carry', () => {
    expect(problemsOf({ users: [{ username: 'a:b' }] })).toEqual([{ path: 'users[0].username', message: 'must not contain ":"' }]);
  });

  it('refuses a root that is not a mapping', () => {
    expect(problemsOf(['x'])).toEqual([{ path: '', message: 'expected a mapping, got a list' }]);
  });

  it('reports YAML syntax errors, repeated keys and missing files as PCL_USERS_INVALID', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devidp-users-'));
    const cases = {
      'syntax.yaml': 'users: [\n',
      'repeated.yaml': 'users: []\nusers: []\n',
    };
    for (const [name, text] of Object.entries(cases)) {
      await writeFile(join(dir, name), text);
      await expect(loadUsersFile(join(dir, name))).rejects.toMatchObject({ code: 'PCL_USERS_INVALID', source: join(dir, name) });
    }
    await expect(loadUsersFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({
      code: 'PCL_USERS_INVALID',
      problems: [{ path: '', message: expect.stringMatching(/cannot read the file/) }],
    });
  });

  it('accepts an empty file as no users, groups or clients', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devidp-users-'));
    await writeFile(join(dir, 'empty.yaml'), '');
    expect(await loadUsersFile(join(dir, 'empty.yaml'))).toEqual({ users: [], groups: [], clients: [] });
  });
});
