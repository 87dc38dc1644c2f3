/**
 * The identity headers are computed once per identity and reused for every later request of
 * the same session or cached credential. The memo must never hand one application's headers
 * to another, nor keep an empty `X-authentik-meta-jwks` once discovery has supplied it.
 */

import { describe, expect, it } from 'vitest';
import type { Identity } from '../../src/auth/index.js';
import { identityHeaderEntries, type OutpostMeta } from '../../src/upstream/index.js';

const identity: Identity = Object.freeze({
  sub: 'sub-1',
  username: 'alice',
  email: 'alice@example.com',
  name: 'Alice',
  groups: ['staff'],
  entitlements: [],
  attributes: {},
  claims: {},
  token: 'header.payload.signature',
  expiresAt: Date.now() + 60_000,
  method: 'session',
});

function metaOf(application: string, jwks: () => string): OutpostMeta {
  return {
    application,
    outpost: 'portcullis',
    provider: 'portcullis',
    get jwks() {
      return jwks();
    },
    version: '0.0.0',
  };
}

const valueOf = (entries: readonly (readonly [string, string])[], name: string): string | undefined => entries.find(([key]) => key === name)?.[1];

describe('identity header entries', () => {
  it('are the same entries for every request of one identity', () => {
    const meta = metaOf('grafana', () => 'http://idp/jwks');
    const first = identityHeaderEntries(identity, meta);
    expect(identityHeaderEntries(identity, meta)).toBe(first);
    expect(valueOf(first, 'x-authentik-username')).toBe('alice');
  });

  it("are another application's own for the same identity", () => {
    const grafana = identityHeaderEntries(identity, metaOf('grafana', () => 'http://idp/jwks'));
    const wiki = identityHeaderEntries(identity, metaOf('wiki', () => 'http://idp/jwks'));
    expect(valueOf(grafana, 'x-authentik-meta-app')).toBe('grafana');
    expect(valueOf(wiki, 'x-authentik-meta-app')).toBe('wiki');
  });

  it('pick up the key set address once discovery has found it', () => {
    let jwks = '';
    const meta = metaOf('grafana', () => jwks);
    expect(valueOf(identityHeaderEntries(identity, meta), 'x-authentik-meta-jwks')).toBe('');
    jwks = 'http://idp/jwks';
    expect(valueOf(identityHeaderEntries(identity, meta), 'x-authentik-meta-jwks')).toBe('http://idp/jwks');
  });
});
