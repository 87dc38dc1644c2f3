import { describe, expect, it } from 'vitest';
import {
  compileAllApplicationPolicies,
  compileApplicationPolicies,
  loadPolicies,
  type PolicyDecision,
} from '../../src/policy/index.js';
import { decide, DIR, identity, request, setOf, validationErrorOf } from './support.js';

const SET = setOf({
  'groups.yaml': 'name: staff\nkind: group\ngroups: [staff]\n---\nname: admins\nkind: group\ngroups: [admins]\n',
  'other.yaml': [
    'name: office\nkind: network\ncidrs: ["10.0.0.0/8"]',
    'name: broken\nkind: expression\nexpression: "identity.claims.missing"',
  ].join('\n---\n'),
});

// The caller is in `staff` (not `admins`) and comes from the office network.
const input = { identity: identity({ groups: ['staff'] }), request: request({ ip: '10.1.2.3' }) };
const ALLOW: PolicyDecision = { allow: true };
const deny = (...reasons: string[]): PolicyDecision => ({ allow: false, reasons });
const BROKEN = 'broken: expression failed: field not found: missing';

describe('bindings', () => {
  const cases: ['all' | 'any', readonly string[], PolicyDecision][] = [
    ['all', [], ALLOW],
    ['any', [], ALLOW],
    ['all', ['staff'], ALLOW],
    ['all', ['admins'], deny('admins')],
    ['all', ['!admins'], ALLOW],
    ['all', ['!staff'], deny('not staff')],
    ['all', ['staff', 'office'], ALLOW],
    ['all', ['staff', 'admins', '!office'], deny('admins', 'not office')],
    ['all', ['staff', 'broken'], deny(BROKEN)],
    ['all', ['staff', '!broken'], deny(BROKEN)],
    ['any', ['admins', 'staff'], ALLOW],
    ['any', ['staff', 'admins'], ALLOW],
    ['any', ['admins', '!office'], deny('admins', 'not office')],
    ['any', ['admins', '!admins'], ALLOW],
    ['any', ['broken', 'staff'], ALLOW],
    ['any', ['broken', '!broken'], deny(BROKEN, BROKEN)],
    ['any', ['admins', 'broken'], deny('admins', BROKEN)],
  ];
  it.each(cases)('mode %s, bindings %j → %j', (mode, bindings, expected) => {
    expect(decide(SET, bindings, { ...input, mode })).toEqual(expected);
  });

  it('allows every identity when an application binds nothing', () => {
    const policy = compileApplicationPolicies(SET, { name: 'open', policies: { mode: 'all', bindings: [] } }, 0);
    for (const groups of [[], ['staff'], ['anything']]) {
      expect(policy.evaluate(identity({ groups }), request({ ip: '203.0.113.9' }))).toEqual(ALLOW);
    }
  });

  it('gives the same decision for the same input (no hidden state)', () => {
    const first = decide(SET, ['staff', 'admins', 'broken'], input);
    expect(decide(SET, ['staff', 'admins', 'broken'], input)).toEqual(first);
  });
});

describe('bindings to missing policies', () => {
  const app = (bindings: string[]) => ({
    name: 'grafana',
    policies: { mode: 'all' as const, bindings: bindings.map((policy) => ({ policy, negate: false })) },
  });

  it('name every missing binding by its configuration key', () => {
    const error = validationErrorOf(() =>
      compileApplicationPolicies(SET, app(['staff', 'nope', 'Staff']), 2, { source: '/etc/portcullis/portcullis.yaml' }),
    );
    expect(error.source).toBe('/etc/portcullis/portcullis.yaml');
    expect(error.problems).toEqual([
      { path: 'applications[2].policies.bindings[1].policy', message: `no policy named "nope" in ${DIR}` },
      { path: 'applications[2].policies.bindings[2].policy', message: `no policy named "Staff" in ${DIR}` },
    ]);
  });

  it('are reported for every application at once', () => {
    const error = validationErrorOf(() =>
      compileAllApplicationPolicies(SET, [app(['x']), app(['staff']), { ...app(['y']), name: 'other' }]),
    );
    expect(error.source).toBe('<config>');
    expect(error.problems.map((p) => p.path)).toEqual([
      'applications[0].policies.bindings[0].policy',
      'applications[2].policies.bindings[0].policy',
    ]);
  });

  it('say when the policies folder does not exist', async () => {
    const missing = '/nonexistent/portcullis-test/policies';
    const empty = await loadPolicies(missing);
    expect(empty.found).toBe(false);
    expect(empty.names.size).toBe(0);
    compileApplicationPolicies(empty, app([]), 0);
    const error = validationErrorOf(() => compileApplicationPolicies(empty, app(['staff-only']), 0));
    expect(error.problems).toEqual([
      {
        path: 'applications[0].policies.bindings[0].policy',
        message: `no policy named "staff-only" in ${missing} (the folder does not exist)`,
      },
    ]);
  });
});
