import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors/index.js';
import { PolicyWatcher, type PolicySet, type PolicyWatcherOptions } from '../../src/policy/index.js';
import { identity, request, setOf } from './support.js';

const STAFF = 'name: gate\nkind: group\ngroups: [staff]\n';
const ADMINS = 'name: gate\nkind: group\ngroups: [admins]\n';
const BROKEN = 'name: gate\nkind: group\ngroups: admins\n';
const APPS = [{ name: 'app', policies: { mode: 'all' as const, bindings: [{ policy: 'gate', negate: false }] } }];

/** Waits (at most 1 s, in 10 ms steps) until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 1000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('PolicyWatcher', () => {
  let root: string;
  let dir: string;
  let watcher: PolicyWatcher | null = null;
  const reloads: (readonly string[])[] = [];
  const errors: Error[] = [];

  /** Replaces a file in one step, as deployment tools do, so no reader sees it half-written. */
  async function put(name: string, text: string): Promise<void> {
    const temporary = join(dir, `.${name}.tmp`);
    await writeFile(temporary, text);
    await rename(temporary, join(dir, name));
  }

  async function start(options: Partial<PolicyWatcherOptions> = {}): Promise<PolicyWatcher> {
    watcher = await PolicyWatcher.start({
      dir,
      applications: APPS,
      debounceMs: 20,
      // A slow poll as a safety net, as in production; the first test relies on fs.watch alone.
      pollIntervalMs: 250,
      onReload: (names) => reloads.push([...names]),
      onError: (error) => errors.push(error),
      ...options,
    });
    return watcher;
  }

  const staffCaller = () => identity({ groups: ['staff'] });
  const allowsStaff = (w: PolicyWatcher) => w.current('app').evaluate(staffCaller(), request()).allow;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'portcullis-watch-'));
    dir = join(root, 'policies');
    await mkdir(dir);
    await put('gate.yaml', STAFF);
    reloads.length = 0;
    errors.length = 0;
  });

  afterEach(async () => {
    watcher?.close();
    watcher = null;
    await rm(root, { recursive: true, force: true });
  });

  it('applies a changed file without a restart', async () => {
    const w = await start({ pollIntervalMs: 0 });
    expect(allowsStaff(w)).toBe(true);
    await put('gate.yaml', ADMINS);
    await until(() => !allowsStaff(w), 'the new policy');
    expect(w.current('app').evaluate(staffCaller(), request())).toEqual({ allow: false, reasons: ['gate'] });
    expect(reloads.at(-1)).toEqual(['gate']);
    expect(errors).toEqual([]);
  });

  it('keeps the last good set when a change does not validate, and reloads once it is fixed', async () => {
    const w = await start();
    await put('gate.yaml', BROKEN);
    await until(() => errors.length > 0, 'onError');
    const error = errors[0];
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([
      { path: 'policies/gate.yaml: groups', message: 'expected a list of group names, got "admins"' },
    ]);
    expect(allowsStaff(w)).toBe(true);
    expect(reloads).toEqual([]);

    await put('gate.yaml', ADMINS);
    await until(() => reloads.length > 0, 'onReload');
    expect(allowsStaff(w)).toBe(false);
  });

  it('keeps the last good set when a bound policy disappears', async () => {
    const w = await start();
    await unlink(join(dir, 'gate.yaml'));
    await until(() => errors.length > 0, 'onError');
    expect((errors[0] as ValidationError).problems).toEqual([
      { path: 'applications[0].policies.bindings[0].policy', message: `no policy named "gate" in ${dir}` },
    ]);
    expect(allowsStaff(w)).toBe(true);
  });

  it('notices changes by polling when fs.watch is unavailable', async () => {
    const w = await start({ watch: false, pollIntervalMs: 30 });
    await put('gate.yaml', `${ADMINS}# a longer file\n`);
    await until(() => !allowsStaff(w), 'the polled change');
    expect(reloads).toHaveLength(1);
  });

  it('picks up a folder created after start-up', async () => {
    await rm(dir, { recursive: true });
    const w = await start({ applications: [], pollIntervalMs: 30 });
    expect(w.policies.found).toBe(false);
    await mkdir(dir);
    await put('gate.yaml', STAFF);
    await until(() => w.policies.names.has('gate'), 'the new folder');
    expect(w.policies.found).toBe(true);
  });

  it('hands out live policies that follow reloads', async () => {
    const w = await start();
    const live = w.live('app');
    expect(live.evaluate(staffCaller(), request()).allow).toBe(true);
    await put('gate.yaml', ADMINS);
    await until(() => !live.evaluate(staffCaller(), request()).allow, 'the live policy to follow');
  });

  it('stops reloading once closed', async () => {
    const w = await start({ pollIntervalMs: 20 });
    w.close();
    await put('gate.yaml', ADMINS);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(reloads).toEqual([]);
    expect(allowsStaff(w)).toBe(true);
  });

  it('refuses to start with an invalid set: there is no last good one', async () => {
    await put('gate.yaml', BROKEN);
    await expect(start()).rejects.toBeInstanceOf(ValidationError);
  });

  it('denies everything for an application it was not given', async () => {
    const w = await start();
    expect(w.current('other').evaluate(staffCaller(), request())).toEqual({
      allow: false,
      reasons: ['no policies were compiled for application "other"'],
    });
  });
});

describe('PolicyWatcher with an injected loader', () => {
  it('reloads on demand, coalescing concurrent requests', async () => {
    const sets: PolicySet[] = [setOf({ 'gate.yaml': STAFF }), setOf({ 'gate.yaml': ADMINS })];
    let loads = 0;
    const load = async (): Promise<PolicySet> => sets[Math.min(loads++, sets.length - 1)] as PolicySet;
    const names: (readonly string[])[] = [];
    const watcher = await PolicyWatcher.start({
      dir: '/nonexistent/portcullis-test/policies',
      applications: APPS,
      load,
      watch: false,
      pollIntervalMs: 0,
      onReload: (n) => names.push([...n]),
    });
    try {
      expect(watcher.current('app').evaluate(identity({ groups: ['staff'] }), request()).allow).toBe(true);
      const [first, second] = await Promise.all([watcher.reload(), watcher.reload()]);
      expect(first && second).toBe(true);
      // One load at start, then one reload plus one re-run for the request that arrived meanwhile.
      expect(loads).toBe(3);
      expect(watcher.current('app').evaluate(identity({ groups: ['staff'] }), request()).allow).toBe(false);
      expect(names).toEqual([['gate'], ['gate']]);
    } finally {
      watcher.close();
    }
  });

  it('passes the loader error to onError and keeps the set', async () => {
    let fail = false;
    const good = setOf({ 'gate.yaml': STAFF });
    const errors: Error[] = [];
    const watcher = await PolicyWatcher.start({
      dir: '/nonexistent/portcullis-test/policies',
      applications: APPS,
      load: async () => {
        if (fail) throw new Error('disk on fire');
        return good;
      },
      watch: false,
      pollIntervalMs: 0,
      onError: (error) => errors.push(error),
      onReload: () => {
        throw new Error('a logger that throws must not break reloading');
      },
    });
    try {
      expect(await watcher.reload()).toBe(true);
      fail = true;
      expect(await watcher.reload()).toBe(false);
      expect(errors.map((e) => e.message)).toEqual(['disk on fire']);
      expect(watcher.policies).toBe(good);
    } finally {
      watcher.close();
    }
  });
});
