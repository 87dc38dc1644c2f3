/**
 * The one behaviour suite every SessionStore passes (oauth2-proxy's shared session-store tests).
 * Store files call `sessionStoreContract(harness)` inside their own describe block.
 */

import { createHash } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LOCK_BUSY } from '../../src/sessions/index.js';
import { isSessionId } from '../../src/sessions/record.js';
import type { RandomBytes, SessionStore } from '../../src/sessions/index.js';
import { counterRandom, newSession, sampleIdentity, unique } from './fixtures.js';

export interface StoreHarness {
  /** A new store (fresh namespace) with this lifetime. */
  open(options: { lifetimeMs: number; randomBytes?: RandomBytes }): SessionStore;
  /** The clock the stores use. */
  now(): number;
  /** Lets `ms` pass: instantly for an injected clock, by sleeping for real TTLs. */
  pass(ms: number): Promise<void>;
  teardown?(): Promise<void>;
}

const HOUR = 3_600_000;
const LIFETIME = 24 * HOUR;
/** Short enough for real Redis TTLs; every `pass` in this file adds up to under 1.5 s. */
const SHORT = 150;
const PAST_SHORT = 250;

export function sessionStoreContract(harness: StoreHarness): void {
  const opened: SessionStore[] = [];
  const open = (options: { lifetimeMs?: number; randomBytes?: RandomBytes } = {}): SessionStore => {
    const store = harness.open({ lifetimeMs: options.lifetimeMs ?? LIFETIME, ...(options.randomBytes ? { randomBytes: options.randomBytes } : {}) });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    await harness.teardown?.();
  });

  describe('create and get', () => {
    it('creates a session under a fresh 256-bit id and reads it back', async () => {
      const store = open();
      const identity = sampleIdentity();
      const expiresAt = harness.now() + HOUR;
      const created = await store.create(newSession('grafana', 'user-1', expiresAt, identity));
      expect(isSessionId(created.id)).toBe(true);
      expect(created).toMatchObject({ application: 'grafana', sub: 'user-1', identity, expiresAt });
      expect(Math.abs(created.createdAt - harness.now())).toBeLessThan(1000);
      expect(await store.get(created.id, 'grafana')).toEqual(created);
    });

    it('draws ids from the injected random source', async () => {
      const store = open({ randomBytes: counterRandom() });
      const created = await store.create(newSession('grafana', 'user-1', harness.now() + HOUR));
      expect(created.id).toBe(Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64url'));
    });

    it('gives every session its own id', async () => {
      const store = open();
      const ids = new Set<string>();
      for (let i = 0; i < 20; i += 1) ids.add((await store.create(newSession('grafana', 'user-1', harness.now() + HOUR))).id);
      expect(ids.size).toBe(20);
    });

    it('binds a session to its application: another application gets null', async () => {
      const store = open();
      const created = await store.create(newSession('grafana', 'user-1', harness.now() + HOUR));
      expect(await store.get(created.id, 'wiki')).toBeNull();
      expect(await store.get(created.id, 'grafana')).not.toBeNull();
    });

    it('returns null for unknown and malformed ids', async () => {
      const store = open();
      for (const id of ['', 'x', 'A'.repeat(43), 'A'.repeat(42) + '!', 'A'.repeat(44), '../../etc/passwd', '*']) {
        expect(await store.get(id, 'grafana')).toBeNull();
      }
    });

    it('never lets a session outlive the configured lifetime', async () => {
      const store = open({ lifetimeMs: HOUR });
      const created = await store.create(newSession('grafana', 'user-1', harness.now() + 10 * HOUR));
      expect(created.expiresAt).toBe(created.createdAt + HOUR);
      expect((await store.get(created.id, 'grafana'))?.expiresAt).toBe(created.createdAt + HOUR);
    });

    it('refuses to create a session that has already expired', async () => {
      const store = open();
      await expect(store.create(newSession('grafana', 'user-1', harness.now() - 1))).rejects.toBeInstanceOf(RangeError);
    });

    it('forgets a session once it expires', async () => {
      const store = open();
      const created = await store.create(newSession('grafana', 'user-1', harness.now() + SHORT));
      expect(await store.get(created.id, 'grafana')).not.toBeNull();
      await harness.pass(PAST_SHORT);
      expect(await store.get(created.id, 'grafana')).toBeNull();
      expect(await store.deleteForUser('grafana', 'user-1')).toBe(0);
    });
  });

  describe('update', () => {
    it('replaces identity and expiry and keeps the id', async () => {
      const store = open();
      const created = await store.create(newSession('grafana', 'user-1', harness.now() + HOUR));
      const refreshed = sampleIdentity({ accessToken: 'new-access', refreshToken: 'new-refresh' });
      const next = { ...created, identity: refreshed, expiresAt: harness.now() + 2 * HOUR };
      expect(await store.update(next)).toBe(true);
      const read = await store.get(created.id, 'grafana');
      expect(read?.id).toBe(created.id);
      expect(read?.identity.accessToken).toBe('new-access');
      expect(read?.identity.refreshToken).toBe('new-refresh');
      expect(read?.expiresAt).toBe(next.expiresAt);
    });

    it('clamps an updated expiry to the lifetime from creation', async () => {
      const store = open({ lifetimeMs: HOUR });
      const created = await store.create(newSession('grafana', 'user-1', harness.now() + HOUR / 2));
      expect(await store.update({ ...created, expiresAt: harness.now() + 10 * HOUR })).toBe(true);
      expect((await store.get(created.id, 'grafana'))?.expiresAt).toBe(created.createdAt + HOUR);
    });

    it('does not resurrect a deleted session', async () => {
      const store = open();
      const created = await store.create(newSession('grafana', 'user-1', harness.now() + HOUR));
      await store.delete(created.id);
      expect(await store.update({ ...created, identity: sampleIdentity() })).toBe(false);
      expect(await store.get(created.id, 'grafana')).toBeNull();
    });

    it('cannot move a session to another user, application or creation time', async () => {
      const store = open();
      const created = await store.create(newSession('grafana', 'user-1', harness.now() + HOUR));
      expect(await store.update({ ...created, sub: 'user-2' })).toBe(false);
      expect(await store.update({ ...created, application: 'wiki' })).toBe(false);
      expect(await store.update({ ...created, createdAt: created.createdAt + 1 })).toBe(false);
      expect(await store.get(created.id, 'grafana')).toEqual(created);
      expect(await store.deleteForUser('grafana', 'user-2')).toBe(0);
    });
  });

  describe('delete', () => {
    it('deletes one session and leaves the user’s others', async () => {
      const store = open();
      const first = await store.create(newSession('grafana', 'user-1', harness.now() + HOUR));
      const second = await store.create(newSession('grafana', 'user-1', harness.now() + HOUR));
      await store.delete(first.id);
      await store.delete(first.id);
      await store.delete('not-an-id');
      expect(await store.get(first.id, 'grafana')).toBeNull();
      expect(await store.get(second.id, 'grafana')).not.toBeNull();
      expect(await store.deleteForUser('grafana', 'user-1')).toBe(1);
    });

    it('deleteForUser ends every session of that user for that application only', async () => {
      const store = open();
      const at = harness.now() + HOUR;
      const mine = await Promise.all([1, 2, 3].map(() => store.create(newSession('grafana', 'user-1', at))));
      const otherApp = await store.create(newSession('wiki', 'user-1', at));
      const otherUser = await store.create(newSession('grafana', 'user-2', at));
      expect(await store.deleteForUser('grafana', 'user-1')).toBe(3);
      for (const session of mine) expect(await store.get(session.id, 'grafana')).toBeNull();
      expect(await store.get(otherApp.id, 'wiki')).not.toBeNull();
      expect(await store.get(otherUser.id, 'grafana')).not.toBeNull();
      expect(await store.deleteForUser('grafana', 'user-1')).toBe(0);
    });

    it('deleteForSid ends the sessions of that IdP session in every application, and nothing else', async () => {
      const store = open();
      const at = harness.now() + HOUR;
      const withSid = (sid: string) => sampleIdentity({ claims: { sub: 'user-1', sid } });
      const app = await store.create(newSession('grafana', 'user-1', at, withSid('idp-session-1')));
      const wiki = await store.create(newSession('wiki', 'user-1', at, withSid('idp-session-1')));
      const otherSession = await store.create(newSession('grafana', 'user-1', at, withSid('idp-session-2')));
      const noSid = await store.create(newSession('grafana', 'user-1', at));
      expect(await store.deleteForSid('idp-session-1')).toBe(2);
      expect(await store.get(app.id, 'grafana')).toBeNull();
      expect(await store.get(wiki.id, 'wiki')).toBeNull();
      expect(await store.get(otherSession.id, 'grafana')).not.toBeNull();
      expect(await store.get(noSid.id, 'grafana')).not.toBeNull();
      expect(await store.deleteForSid('idp-session-1')).toBe(0);
      // authentik's session-end event may name the sid by its hex SHA-256.
      expect(await store.deleteForSid(createHash('sha256').update('idp-session-2').digest('hex'))).toBe(1);
      expect(await store.get(otherSession.id, 'grafana')).toBeNull();
      // A session deleted one by one leaves nothing behind for its sid.
      const again = await store.create(newSession('grafana', 'user-1', at, withSid('idp-session-3')));
      await store.delete(again.id);
      expect(await store.deleteForSid('idp-session-3')).toBe(0);
    });

    it('deleteForSid with a subject ends only that subject\'s sessions of the IdP session', async () => {
      const store = open();
      const at = harness.now() + HOUR;
      const withSid = (sub: string) => sampleIdentity({ claims: { sub, sid: 'shared-sid' } });
      const mine = await store.create(newSession('grafana', 'user-1', at, withSid('user-1')));
      const theirs = await store.create(newSession('grafana', 'user-2', at, withSid('user-2')));
      expect(await store.deleteForSid('shared-sid', { sub: 'user-2' })).toBe(1);
      expect(await store.get(theirs.id, 'grafana')).toBeNull();
      expect(await store.get(mine.id, 'grafana')).not.toBeNull();
    });

    it('keeps users apart whatever characters application and sub contain', async () => {
      const store = open();
      const at = harness.now() + HOUR;
      const a = await store.create(newSession('app\nx', 'y', at));
      const b = await store.create(newSession('app', 'x\ny', at));
      expect(await store.deleteForUser('app', 'x\ny')).toBe(1);
      expect(await store.get(a.id, 'app\nx')).not.toBeNull();
      expect(await store.get(b.id, 'app')).toBeNull();
    });
  });

  describe('claimOnce', () => {
    it('accepts a key once until its time runs out', async () => {
      const store = open();
      const key = unique('once');
      expect(await store.isClaimed(key)).toBe(false);
      expect(await store.claimOnce(key, SHORT)).toBe(true);
      expect(await store.isClaimed(key)).toBe(true);
      expect(await store.claimOnce(key, SHORT)).toBe(false);
      expect(await store.claimOnce(unique('other'), SHORT)).toBe(true);
      await harness.pass(PAST_SHORT);
      expect(await store.isClaimed(key)).toBe(false);
      expect(await store.claimOnce(key, SHORT)).toBe(true);
    });
  });

  describe('withLock', () => {
    it('runs fn once for two concurrent callers; the other gets LOCK_BUSY', async () => {
      const store = open();
      const key = unique('refresh');
      let runs = 0;
      const results = await Promise.all(
        [1, 2].map(() =>
          store.withLock(key, 5000, async () => {
            runs += 1;
            await new Promise((resolve) => setTimeout(resolve, 20));
            return 'refreshed';
          }),
        ),
      );
      expect(runs).toBe(1);
      expect(results.filter((r) => r === LOCK_BUSY)).toHaveLength(1);
      expect(results).toContain('refreshed');
    });

    it('releases the lock when fn settles, also when it throws', async () => {
      const store = open();
      const key = unique('refresh');
      expect(await store.withLock(key, 5000, async () => 1)).toBe(1);
      await expect(store.withLock(key, 5000, async () => Promise.reject(new Error('refresh failed')))).rejects.toThrow('refresh failed');
      expect(await store.withLock(key, 5000, async () => 2)).toBe(2);
    });

    it('is busy while held, expires after its ttl, and a late holder does not release the next one', async () => {
      const store = open();
      const key = unique('refresh');
      let releaseFirst!: () => void;
      const first = store.withLock(key, SHORT, () => new Promise<string>((resolve) => (releaseFirst = () => resolve('first'))));
      await waitUntil(() => releaseFirst !== undefined);
      expect(await store.withLock(key, 5000, async () => 'x')).toBe(LOCK_BUSY);
      await harness.pass(PAST_SHORT);
      let releaseSecond!: () => void;
      const second = store.withLock(key, 5000, () => new Promise<string>((resolve) => (releaseSecond = () => resolve('second'))));
      await waitUntil(() => releaseSecond !== undefined);
      releaseFirst();
      expect(await first).toBe('first');
      expect(await store.withLock(key, 5000, async () => 'x')).toBe(LOCK_BUSY);
      releaseSecond();
      expect(await second).toBe('second');
      expect(await store.withLock(key, 5000, async () => 'third')).toBe('third');
    });

    it('keeps different keys independent', async () => {
      const store = open();
      const results = await Promise.all([unique('a'), unique('b')].map((key) => store.withLock(key, 5000, async () => key)));
      expect(results).not.toContain(LOCK_BUSY);
    });
  });

  describe('hit', () => {
    it('counts hits per key within the window and forgets them after it', async () => {
      const store = open();
      const key = unique('login');
      const window = 200;
      expect([await store.hit(key, window), await store.hit(key, window), await store.hit(key, window)]).toEqual([1, 2, 3]);
      expect(await store.hit(unique('other'), window)).toBe(1);
      await harness.pass(2 * window + 50);
      expect(await store.hit(key, window)).toBe(1);
    });
  });

  it('answers ping', async () => {
    await expect(open().ping()).resolves.toBeUndefined();
  });
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition not reached');
}
