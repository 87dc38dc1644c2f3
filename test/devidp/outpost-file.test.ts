import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ValidationError } from '../../src/errors/index.js';
import { loadUsersFile, parseUsersFile, startDevIdp } from '../../src/devidp/index.js';
import { CERT_FILE, KEY_FILE, OUTPOST_USERS_FILE } from './outpost-support.js';

const clients = [
  { id: 'portcullis', secret: 's', redirectUris: ['http://app.localhost:9000/outpost.goauthentik.io/callback'] },
  { id: 'other-app', secret: 't', redirectUris: ['http://other.localhost:9000/outpost.goauthentik.io/callback'] },
];
const provider = { pk: 1, name: 'app-provider', client: 'portcullis', slug: 'app', externalHost: 'http://app.localhost:9000' };

function problemsOf(outpost: unknown): { path: string; message: string }[] {
  try {
    parseUsersFile({ clients, outpost }, 'users.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return [...(err as ValidationError).problems];
  }
  throw new Error('expected the users file to be refused');
}

describe('users file: outpost section', () => {
  it('loads the fixture, resolving PEM paths against the file\'s folder', async () => {
    const file = await loadUsersFile(OUTPOST_USERS_FILE);
    expect(file.outpost).toMatchObject({ name: 'portcullis-dev', token: 'dev-outpost-token', refreshIntervalS: 300 });
    expect(file.outpost?.providers.map((p) => [p.pk, p.client, p.mode])).toEqual([[1, 'portcullis', 'proxy'], [2, 'other-app', 'forward_single']]);
    expect(file.outpost?.providers[0]).toMatchObject({ certificateFile: CERT_FILE, keyFile: KEY_FILE });
    expect(Object.isFrozen(file.outpost?.providers[0]?.scopes)).toBe(true);
  });

  it('fills in authentik\'s defaults', () => {
    const file = parseUsersFile({ clients, outpost: { name: 'o', token: 't', providers: [provider] } }, 'users.yaml');
    expect(file.outpost).toEqual({
      name: 'o',
      token: 't',
      refreshIntervalS: 300,
      providers: [
        {
          ...provider,
          applicationName: 'app',
          internalHost: '',
          internalHostSslValidation: true,
          mode: 'proxy',
          skipPathRegex: '',
          basicAuthEnabled: false,
          basicAuthUserAttribute: '',
          basicAuthPasswordAttribute: '',
          interceptHeaderAuth: true,
          cookieDomain: '',
          accessTokenValidity: null,
          scopes: ['openid', 'profile', 'email', 'ak_proxy'],
          certificateFile: '',
          keyFile: '',
        },
      ],
    });
  });

  it('has no outpost unless the section is there', () => {
    expect(parseUsersFile({ clients }, 'users.yaml').outpost).toBeUndefined();
  });

  it('reports every problem with its dotted key', () => {
    const problems = problemsOf({
      name: 'o',
      refreshIntervalS: -1,
      extra: true,
      providers: [
        { ...provider, client: 'nobody', mode: 'sideways', externalHost: 'app.localhost', accessTokenValidity: '10m', certificateFile: 'a.pem' },
        { pk: 1.5, name: 'app-provider', client: 'other-app', slug: 'app', internalHost: 'ftp://x', scopes: ['openid', ''] },
        { ...provider, pk: 1, name: 'third', slug: 'third' },
      ],
    });
    expect(problems).toEqual([
      { path: 'outpost.extra', message: expect.stringMatching(/^unknown key \(expected one of: name, token, refreshIntervalS, providers\)/) },
      { path: 'outpost.providers[0].client', message: 'unknown client "nobody" (define it under clients)' },
      { path: 'outpost.providers[0].externalHost', message: 'expected an absolute http(s) URL, got "app.localhost"' },
      { path: 'outpost.providers[0].mode', message: 'expected one of proxy, forward_single, forward_domain, got "sideways"' },
      { path: 'outpost.providers[0].accessTokenValidity', message: 'expected a number >= 0 or null, got "10m"' },
      { path: 'outpost.providers[0].keyFile', message: 'is required together with certificateFile' },
      { path: 'outpost.providers[1].pk', message: 'expected an integer >= 1, got number 1.5' },
      { path: 'outpost.providers[1].externalHost', message: 'is required' },
      { path: 'outpost.providers[1].internalHost', message: 'expected an absolute http(s) URL, got "ftp://x"' },
      { path: 'outpost.providers[1].scopes[1]', message: 'expected a non-empty string, got ""' },
      { path: 'outpost.providers[2].pk', message: 'duplicate provider pk "1" (first defined at outpost.providers[0].pk)' },
      { path: 'outpost.providers[1].name', message: 'duplicate provider name "app-provider" (first defined at outpost.providers[0].name)' },
      { path: 'outpost.providers[1].slug', message: 'duplicate application slug "app" (first defined at outpost.providers[0].slug)' },
      { path: 'outpost.token', message: 'is required' },
      { path: 'outpost.refreshIntervalS', message: 'expected an integer >= 0, got number -1' },
    ]);
  });

  it('refuses to start when a PEM file is missing or the key does not match, naming the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devidp-outpost-'));
    const otherKey = join(dir, 'other.key.pem');
    await writeFile(otherKey, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const users = parseUsersFile(
      {
        clients,
        outpost: {
          name: 'o',
          token: 't',
          providers: [
            { ...provider, certificateFile: join(dir, 'missing.pem'), keyFile: KEY_FILE },
            { ...provider, pk: 2, name: 'b', slug: 'b', certificateFile: CERT_FILE, keyFile: otherKey },
            { ...provider, pk: 3, name: 'c', slug: 'c', certificateFile: KEY_FILE, keyFile: KEY_FILE },
          ],
        },
      },
      'users.yaml',
    );
    const failure = await startDevIdp({ users }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ValidationError);
    expect((failure as ValidationError).problems).toEqual([
      { path: 'outpost.providers[0].certificateFile', message: expect.stringMatching(/^cannot read ".*missing\.pem"/) },
      { path: 'outpost.providers[1].keyFile', message: 'the private key does not belong to the certificate' },
      { path: 'outpost.providers[2].certificateFile', message: expect.stringMatching(/is not a PEM X\.509 certificate$/) },
    ]);
    // The key's contents are never echoed.
    expect((failure as Error).message).not.toContain((await readFile(KEY_FILE, 'utf8')).split('\n')[1]);
  });
});
