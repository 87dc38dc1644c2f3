import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileAllApplicationPolicies, isPolicyFileName, loadPolicies, POLICY_KINDS } from '../../src/policy/index.js';
import { decide, identity, request, validationErrorOf } from './support.js';

const SHIPPED = fileURLToPath(new URL('../../policies', import.meta.url));

describe('the shipped policies folder', () => {
  it('loads cleanly with one policy of every kind', async () => {
    const set = await loadPolicies(SHIPPED);
    expect(set.found).toBe(true);
    for (const name of ['staff-only', 'superusers', 'office-network', 'working-hours', 'read-only', 'staff-reads']) {
      expect(set.names).toContain(name);
    }
    expect(new Set([...set.names].map((name) => set.get(name)?.kind))).toEqual(new Set(POLICY_KINDS));
  });

  it('decides as its README says', async () => {
    const set = await loadPolicies(SHIPPED);
    const staff = identity({ groups: ['staff'], claims: { ak_proxy: { is_superuser: true } } });
    const wednesdayNoonInBerlin = new Date('2024-06-05T10:00:00Z');
    const saturday = new Date('2024-06-08T10:00:00Z');
    const input = { identity: staff, request: request({ method: 'GET', path: '/api/x', ip: '10.1.2.3' }), now: wednesdayNoonInBerlin };
    expect(decide(set, ['staff-only', 'superusers', 'office-network', 'working-hours', 'read-only', 'staff-reads'], input)).toEqual({ allow: true });
    expect(decide(set, ['working-hours'], { ...input, now: saturday })).toEqual({ allow: false, reasons: ['working-hours'] });
    expect(decide(set, ['staff-reads'], { ...input, request: request({ method: 'POST' }) })).toEqual({ allow: false, reasons: ['staff-reads'] });
    expect(decide(set, ['admins-or-own-team'], { identity: identity({ groups: ['web'] }), request: request({ path: '/teams/web/x' }) })).toEqual({ allow: true });
    expect(decide(set, ['admins-or-own-team'], { identity: identity({ groups: ['web'] }), request: request({ path: '/teams/webx/x' }) }).allow).toBe(false);
  });

  it('can be bound by every application at once', async () => {
    const set = await loadPolicies(SHIPPED);
    const bindings = [...set.names].map((policy) => ({ policy, negate: false }));
    expect(compileAllApplicationPolicies(set, [{ name: 'a', policies: { mode: 'any', bindings } }]).size).toBe(1);
  });
});

describe('loadPolicies', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'portcullis-policies-')), 'policies');
    await mkdir(dir);
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('reads *.yaml and *.yml files, several documents each', async () => {
    await writeFile(join(dir, 'a.yaml'), 'name: a\nkind: group\ngroups: [a]\n---\nname: b\nkind: group\ngroups: [b]\n');
    await writeFile(join(dir, 'c.yml'), 'name: c\nkind: network\ncidrs: ["::1"]\n');
    const set = await loadPolicies(dir);
    expect([...set.names].sort()).toEqual(['a', 'b', 'c']);
    expect(set.get('b')?.origin).toBe('policies/a.yaml [1]');
    expect(set.get('c')?.origin).toBe('policies/c.yml');
    expect(set.dir).toBe(dir);
  });

  it('ignores other files, hidden files, editor leftovers and subfolders', async () => {
    await writeFile(join(dir, 'README.md'), '# not a policy');
    await writeFile(join(dir, '.#a.yaml'), 'broken: [');
    await writeFile(join(dir, 'a.yaml~'), 'broken: [');
    await writeFile(join(dir, 'a.yaml.swp'), 'broken: [');
    await mkdir(join(dir, 'nested.yaml'));
    await writeFile(join(dir, 'nested.yaml', 'x.yaml'), 'broken: [');
    const set = await loadPolicies(dir);
    expect(set.names.size).toBe(0);
    expect(set.found).toBe(true);
  });

  it('follows symbolic links to files (Kubernetes ConfigMap mounts)', async () => {
    await mkdir(join(dir, '..data'));
    await writeFile(join(dir, '..data', 'staff.yaml'), 'name: staff\nkind: group\ngroups: [staff]\n');
    await symlink(join('..data', 'staff.yaml'), join(dir, 'staff.yaml'));
    expect([...(await loadPolicies(dir)).names]).toEqual(['staff']);
  });

  it('names the file in every problem', async () => {
    await writeFile(join(dir, 'staff.yaml'), 'name: staff\nkind: group\ngroups: staff\n');
    const error = await loadPolicies(dir).then(
      () => null,
      (e: unknown) => e,
    );
    const validation = validationErrorOf(() => {
      throw error;
    });
    expect(validation.source).toBe(dir);
    expect(validation.problems).toEqual([{ path: 'policies/staff.yaml: groups', message: 'expected a list of group names, got "staff"' }]);
  });

  it('refuses a file where the folder should be', async () => {
    const file = join(dir, 'file');
    await writeFile(file, '');
    const error = await loadPolicies(file).catch((e: unknown) => e);
    const validation = validationErrorOf(() => {
      throw error;
    });
    expect(validation.problems).toEqual([{ path: file, message: 'expected a folder of policy files, got a file' }]);
  });
});

describe('isPolicyFileName', () => {
  const cases: [string, boolean][] = [
    ['staff.yaml', true],
    ['staff.yml', true],
    ['README.md', false],
    ['.staff.yaml', false],
    ['staff.yaml~', false],
    ['staff.yaml.bak', false],
    ['staff.json', false],
  ];
  it.each(cases)('%s → %s', (name, expected) => {
    expect(isPolicyFileName(name)).toBe(expected);
  });
});
