import { describe, expect, it } from 'vitest';
import type { Identity } from '../../src/auth/index.js';
import type { PolicyRequest } from '../../src/policy/index.js';
import { allows, identity, request } from './support.js';

describe('group policies', () => {
  const policy = 'name: p\nkind: group\ngroups: [staff, admins]\n';
  const cases: [string, readonly string[], boolean][] = [
    ['in the first group', ['staff'], true],
    ['in the second group among others', ['users', 'admins'], true],
    ['in neither group', ['users'], false],
    ['in no group at all', [], false],
    ['in a group differing only by case', ['Staff'], false],
    ['in a group whose name contains a listed one', ['staff-alumni'], false],
  ];
  it.each(cases)('%s → %s', (_, groups, expected) => {
    expect(allows(policy, { identity: identity({ groups }) })).toBe(expected);
  });
});

describe('claim policies', () => {
  const claims = {
    email: 'bob@example.com',
    email_verified: true,
    level: 3,
    level_text: '3',
    roles: ['reader', 'writer'],
    nothing: null,
    ak_proxy: { is_superuser: true, user_attributes: { team: 'web', tags: ['a', 'b'] } },
  };
  const id = identity({ claims });
  const cases: [string, string, boolean][] = [
    ['boolean equals', 'claim: email_verified\nequals: true', true],
    ['boolean equals the other value', 'claim: email_verified\nequals: false', false],
    ['nested path', 'claim: ak_proxy.is_superuser\nequals: true', true],
    ['deeper nested path', 'claim: ak_proxy.user_attributes.team\nequals: web', true],
    ['number equals number', 'claim: level\nequals: 3', true],
    ['number does not equal its string', 'claim: level\nequals: "3"', false],
    ['string does not equal the number', 'claim: level_text\nequals: 3', false],
    ['string does not equal true', 'claim: email\nequals: true', false],
    ['null equals null', 'claim: nothing\nequals: null', true],
    ['a missing claim is not null', 'claim: absent\nequals: null', false],
    ['a list contains the value', 'claim: roles\nequals: writer', true],
    ['a list does not contain the value', 'claim: roles\nequals: admin', false],
    ['a nested list contains the value', 'claim: ak_proxy.user_attributes.tags\nequals: b', true],
    ['a path through a scalar finds nothing', 'claim: email.domain\nequals: example.com', false],
    ['a path through a list finds nothing', 'claim: roles.0\nequals: reader', false],
    ['a path into the prototype finds nothing', 'claim: constructor\nequals: null', false],
    ['a mapping never equals a scalar', 'claim: ak_proxy\nequals: true', false],
    ['matches a string', "claim: email\nmatches: '^[^@]+@example\\.com$'", true],
    ['does not match a string', "claim: email\nmatches: '@example\\.org$'", false],
    ['is not anchored unless the regex is', 'claim: email\nmatches: example', true],
    ['matches never coerces numbers', "claim: level\nmatches: '^3$'", false],
    ['matches never coerces booleans', "claim: email_verified\nmatches: 'true'", false],
    ['matches never looks into lists', 'claim: roles\nmatches: reader', false],
    ['matches on a missing claim', 'claim: absent\nmatches: .*', false],
  ];
  it.each(cases)('%s', (_, body, expected) => {
    expect(allows(`name: p\nkind: claim\n${body}\n`, { identity: id })).toBe(expected);
  });
});

describe('request policies', () => {
  const cases: [string, string, Partial<PolicyRequest>, boolean][] = [
    ['a listed method', 'methods: [GET, HEAD]', { method: 'HEAD' }, true],
    ['an unlisted method', 'methods: [GET, HEAD]', { method: 'POST' }, false],
    ['methods are case-sensitive', 'methods: [GET]', { method: 'get' }, false],
    ['a matching path', 'paths: ["^/api/"]', { path: '/api/v1/users' }, true],
    ['a path not matching', 'paths: ["^/api/"]', { path: '/admin/api/' }, false],
    ['any of several paths', 'paths: ["^/a$", "^/b/"]', { path: '/b/c' }, true],
    ['method and path both match', 'methods: [GET]\npaths: ["^/api/"]', { method: 'GET', path: '/api/x' }, true],
    ['method matches, path does not', 'methods: [GET]\npaths: ["^/api/"]', { method: 'GET', path: '/x' }, false],
    ['path matches, method does not', 'methods: [GET]\npaths: ["^/api/"]', { method: 'DELETE', path: '/api/x' }, false],
  ];
  it.each(cases)('%s', (_, body, req, expected) => {
    expect(allows(`name: p\nkind: request\n${body}\n`, { request: request(req) })).toBe(expected);
  });
});

describe('network policies', () => {
  const policy = 'name: p\nkind: network\ncidrs: ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::1/128"]\n';
  const cases: [string, boolean][] = [
    ['10.0.0.1', true],
    ['10.255.255.255', true],
    ['11.0.0.1', false],
    ['9.255.255.255', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['2001:db8::1', true],
    ['2001:db8:ffff:ffff::1', true],
    ['2001:db9::1', false],
    ['::1', true],
    ['::2', false],
    ['::ffff:10.1.2.3', true],
    ['::FFFF:10.1.2.3', true],
    ['::ffff:a01:203', true],
    ['::ffff:11.1.2.3', false],
    ['', false],
    ['not-an-address', false],
    ['fe80::1%eth0', false],
  ];
  it.each(cases)('client %j → %s', (ip, expected) => {
    expect(allows(policy, { request: request({ ip }) })).toBe(expected);
  });

  it('does not let an IPv4 range match an IPv6 address with the same bits', () => {
    expect(allows('name: p\nkind: network\ncidrs: ["0.0.0.0/0"]\n', { request: request({ ip: '2001:db8::1' }) })).toBe(false);
    expect(allows('name: p\nkind: network\ncidrs: ["::/0"]\n', { request: request({ ip: '2001:db8::1' }) })).toBe(true);
  });
});

describe('identities are read, never changed', () => {
  it('leaves a frozen identity intact', () => {
    const frozen: Identity = Object.freeze(identity({ groups: Object.freeze(['staff']) }));
    expect(allows('name: p\nkind: group\ngroups: [staff]\n', { identity: frozen })).toBe(true);
  });
});
