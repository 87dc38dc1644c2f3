import { describe, expect, it } from 'vitest';
import type { PolicyDecision } from '../../src/policy/index.js';
import { decide, identity, request, setOf } from './support.js';

const alice = identity({
  username: 'alice',
  email: 'alice@example.com',
  groups: ['staff', 'web'],
  attributes: { team: 'web', level: 2 },
  claims: { ak_proxy: { is_superuser: false }, amr: ['pwd', 'mfa'], level: 3 },
});
const get = request({ method: 'GET', path: '/teams/web/board', host: 'app.example.com', ip: '10.1.2.3' });

function run(expression: string, negate = false): PolicyDecision {
  const set = setOf({ 'p.yaml': `name: p\nkind: expression\nexpression: ${JSON.stringify(expression)}\n` });
  return decide(set, [negate ? '!p' : 'p'], { identity: alice, request: get });
}

describe('expression policies', () => {
  const results: [string, boolean][] = [
    ["'staff' in identity.groups && request.method == 'GET'", true],
    ["'admins' in identity.groups", false],
    ["identity.username == 'alice' && identity.email.endsWith('@example.com')", true],
    ['identity.attributes.team == "web"', true],
    ['identity.attributes.level == 2', true],
    ['identity.claims.ak_proxy.is_superuser', false],
    ["'mfa' in identity.claims.amr", true],
    ['identity.claims.level > 2', true],
    ["has(identity.claims.ak_proxy) && !has(identity.claims.missing)", true],
    ["request.path.matches('^/teams/[a-z]+/')", true],
    ["request.host == 'app.example.com' && request.ip.startsWith('10.')", true],
    ["identity.groups.exists(g, request.path.startsWith('/teams/' + g + '/'))", true],
    ["identity.groups.all(g, g.size() > 2)", true],
    ["identity.username.upperAscii() == 'ALICE'", true],
    ["size(identity.groups) == 2", true],
    ["identity['username'] == 'alice'", true],
    ["request.method in ['GET', 'HEAD'] ? true : false", true],
  ];
  it.each(results)('%s → %s', (expression, expected) => {
    expect(run(expression).allow).toBe(expected);
  });

  it('names the policy when it denies', () => {
    expect(run("'admins' in identity.groups")).toEqual({ allow: false, reasons: ['p'] });
  });

  const failures: [string, string, RegExp][] = [
    ['a claim that is not there', 'identity.claims.missing == true', /^p: expression failed: .*missing/],
    ['a division by zero', '1 / (size(identity.groups) - 2) == 1', /^p: expression failed: .*divide by zero/],
    ['a dyn value that is not a bool', 'identity.attributes.team', /^p: expression returned string, not a bool$/],
    ['a dyn number', 'identity.claims.level', /^p: expression returned double, not a bool$/],
    ['a conversion that fails', "int(identity.username) == 1", /^p: expression failed: /],
  ];
  it.each(failures)('fails closed on %s', (_, expression, reason) => {
    const decision = run(expression);
    expect(decision.allow).toBe(false);
    expect(decision.allow === false && decision.reasons).toEqual([expect.stringMatching(reason)]);
  });

  it.each(failures)('fails closed on %s even when the binding is negated', (_, expression, reason) => {
    const decision = run(expression, true);
    expect(decision.allow).toBe(false);
    expect(decision.allow === false && decision.reasons).toEqual([expect.stringMatching(reason)]);
  });

  it('does not see the prototype of claims', () => {
    expect(run('has(identity.claims.constructor)').allow).toBe(false);
    expect(run('identity.claims.toString == 1').allow).toBe(false);
  });

  it('does not see the raw token or other identity fields', () => {
    // Rejected at load: only username, email, groups, attributes and claims exist.
    expect(() => run("identity.token != ''")).toThrow(/identity has no field "token"/);
  });
});
