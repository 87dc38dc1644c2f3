import { describe, expect, it } from 'vitest';
import { problemLines, setOf, validationErrorOf, DIR } from './support.js';

const KINDS = 'group, claim, network, time, request, expression';

/** A single-document file `p.yaml` holding `name: p` and `body`. */
function policy(body: string): Record<string, string> {
  return { 'p.yaml': `name: p\n${body}\n` };
}

/** [what, files, every problem as `path: message`]. */
const CASES: readonly (readonly [string, Record<string, string>, readonly string[]])[] = [
  // documents and common keys
  ['a document that is a list', { 'p.yaml': '- name: p\n' }, ['policies/p.yaml: expected a mapping with name and kind, got [{"name":"p"}]']],
  ['a document that is a string', { 'p.yaml': 'staff\n' }, ['policies/p.yaml: expected a mapping with name and kind, got "staff"']],
  ['no name', { 'p.yaml': 'kind: group\ngroups: [a]\n' }, ['policies/p.yaml: name: required']],
  [
    'a name with a space',
    { 'p.yaml': 'name: staff only\nkind: group\ngroups: [a]\n' },
    ['policies/p.yaml: name: expected a policy name of letters, digits, ".", "_" and "-", got "staff only"'],
  ],
  ['a numeric name', { 'p.yaml': 'name: 7\nkind: group\ngroups: [a]\n' }, ['policies/p.yaml: name: expected a policy name of letters, digits, ".", "_" and "-", got 7']],
  ['no kind', policy('groups: [a]'), ['policies/p.yaml: kind: required']],
  ['an unknown kind', policy('kind: role\nroles: [a]'), [`policies/p.yaml: kind: expected one of ${KINDS}, got "role"`]],
  [
    'an unknown key',
    policy('kind: group\ngroup: [a]\ngroups: [a]'),
    ['policies/p.yaml: group: unknown key (a group policy takes name, kind, description, groups)'],
  ],
  [
    "another kind's key",
    policy('kind: group\ngroups: [a]\ncidrs: ["10.0.0.0/8"]'),
    ['policies/p.yaml: cidrs: unknown key (a group policy takes name, kind, description, groups)'],
  ],
  ['a description that is not a string', policy('kind: group\ngroups: [a]\ndescription: [x]'), ['policies/p.yaml: description: expected a string, got ["x"]']],
  // group
  ['groups as a string', policy('kind: group\ngroups: staff'), ['policies/p.yaml: groups: expected a list of group names, got "staff"']],
  ['groups missing', policy('kind: group'), ['policies/p.yaml: groups: required']],
  ['groups empty', policy('kind: group\ngroups: []'), ['policies/p.yaml: groups: expected at least one group name']],
  [
    'bad group names',
    policy('kind: group\ngroups: [a, 3, "", {b: c}]'),
    [
      'policies/p.yaml: groups[1]: expected a group name, got 3',
      'policies/p.yaml: groups[2]: expected a group name, got ""',
      'policies/p.yaml: groups[3]: expected a group name, got {"b":"c"}',
    ],
  ],
  // claim
  ['no claim', policy('kind: claim\nequals: true'), ['policies/p.yaml: claim: required']],
  [
    'an empty claim path segment',
    policy('kind: claim\nclaim: ak_proxy..is_superuser\nequals: true'),
    ['policies/p.yaml: claim: expected a dotted claim path such as "ak_proxy.is_superuser", got "ak_proxy..is_superuser"'],
  ],
  ['neither equals nor matches', policy('kind: claim\nclaim: email'), ['policies/p.yaml: expected exactly one of equals or matches']],
  [
    'both equals and matches',
    policy('kind: claim\nclaim: email\nequals: a\nmatches: b'),
    ['policies/p.yaml: matches: cannot be combined with equals: give exactly one of them'],
  ],
  ['equals a list', policy('kind: claim\nclaim: roles\nequals: [a, b]'), ['policies/p.yaml: equals: expected a string, number, true, false or null, got ["a","b"]']],
  ['equals a mapping', policy('kind: claim\nclaim: roles\nequals: {a: 1}'), ['policies/p.yaml: equals: expected a string, number, true, false or null, got {"a":1}']],
  ['equals infinity', policy('kind: claim\nclaim: n\nequals: .inf'), ['policies/p.yaml: equals: expected a string, number, true, false or null, got Infinity']],
  [
    'a regex that does not compile',
    policy("kind: claim\nclaim: email\nmatches: '(@example'"),
    ['policies/p.yaml: matches: expected a regular expression, got "(@example" (Unterminated group)'],
  ],
  ['matches a number', policy('kind: claim\nclaim: email\nmatches: 3'), ['policies/p.yaml: matches: expected a regular expression, got 3']],
  // network
  ['cidrs as a string', policy('kind: network\ncidrs: "10.0.0.0/8"'), ['policies/p.yaml: cidrs: expected a list of CIDR ranges, got "10.0.0.0/8"']],
  ['cidrs empty', policy('kind: network\ncidrs: []'), ['policies/p.yaml: cidrs: expected at least one CIDR range']],
  [
    'invalid CIDRs',
    policy('kind: network\ncidrs: ["10.0.0.0/33", "300.1.1.1", "office", "fe80::1%eth0", "2001:db8::/129", 10, "10.0.0.0/8"]'),
    [
      'policies/p.yaml: cidrs[0]: expected an IP address or a CIDR range such as "10.0.0.0/8", got "10.0.0.0/33"',
      'policies/p.yaml: cidrs[1]: expected an IP address or a CIDR range such as "10.0.0.0/8", got "300.1.1.1"',
      'policies/p.yaml: cidrs[2]: expected an IP address or a CIDR range such as "10.0.0.0/8", got "office"',
      'policies/p.yaml: cidrs[3]: expected an IP address or a CIDR range such as "10.0.0.0/8", got "fe80::1%eth0"',
      'policies/p.yaml: cidrs[4]: expected an IP address or a CIDR range such as "10.0.0.0/8", got "2001:db8::/129"',
      'policies/p.yaml: cidrs[5]: expected an IP address or a CIDR range such as "10.0.0.0/8", got 10',
    ],
  ],
  [
    'host bits set past the prefix',
    policy('kind: network\ncidrs: ["10.1.2.3/8", "2001:db8::1/32"]'),
    [
      'policies/p.yaml: cidrs[0]: expected a network address, got "10.1.2.3/8" (did you mean "10.0.0.0/8"?)',
      'policies/p.yaml: cidrs[1]: expected a network address, got "2001:db8::1/32" (did you mean "2001:db8::/32"?)',
    ],
  ],
  // time
  ['no timezone', policy('kind: time\ndays: [mon]'), ['policies/p.yaml: timezone: required']],
  [
    'an unknown timezone',
    policy('kind: time\ntimezone: Mars/Olympus_Mons\ndays: [mon]'),
    ['policies/p.yaml: timezone: expected an IANA time zone such as "Europe/Berlin", got "Mars/Olympus_Mons"'],
  ],
  ['neither days nor hours', policy('kind: time\ntimezone: UTC'), ['policies/p.yaml: expected days, hours or both']],
  [
    'bad and repeated days',
    policy('kind: time\ntimezone: UTC\ndays: [mon, Tue, monday, mon]'),
    [
      'policies/p.yaml: days[1]: expected one of mon, tue, wed, thu, fri, sat, sun, got "Tue"',
      'policies/p.yaml: days[2]: expected one of mon, tue, wed, thu, fri, sat, sun, got "monday"',
      'policies/p.yaml: days[3]: "mon" is listed twice',
    ],
  ],
  ['days as a string', policy('kind: time\ntimezone: UTC\ndays: mon'), ['policies/p.yaml: days: expected a list of days (mon, tue, wed, thu, fri, sat, sun), got "mon"']],
  ['days empty', policy('kind: time\ntimezone: UTC\ndays: []'), ['policies/p.yaml: days: expected at least one day (omit days to allow every day)']],
  ...(['8-18', '08:00 - 18:00', '24:00-06:00', '08:60-18:00', '08:00-24:01', '25:00-26:00'] as const).map(
    (hours) =>
      [
        `hours ${JSON.stringify(hours)}`,
        policy(`kind: time\ntimezone: UTC\nhours: "${hours}"`),
        [`policies/p.yaml: hours: expected a range "HH:MM-HH:MM" (24-hour clock, end exclusive) such as "08:00-18:00", got "${hours}"`],
      ] as const,
  ),
  [
    'an empty hours range',
    policy('kind: time\ntimezone: UTC\nhours: "08:00-08:00"'),
    ['policies/p.yaml: hours: expected a range of non-zero length, got "08:00-08:00" (omit hours to allow the whole day)'],
  ],
  [
    'the whole day as a range',
    policy('kind: time\ntimezone: UTC\nhours: "00:00-24:00"'),
    ['policies/p.yaml: hours: expected a range of non-zero length, got "00:00-24:00" (omit hours to allow the whole day)'],
  ],
  // request
  ['neither methods nor paths', policy('kind: request'), ['policies/p.yaml: expected methods, paths or both']],
  [
    'lower-case and odd methods',
    policy('kind: request\nmethods: [GET, get, "GET /", 1]'),
    [
      'policies/p.yaml: methods[1]: expected an HTTP method in upper case such as "GET", got "get"',
      'policies/p.yaml: methods[2]: expected an HTTP method in upper case such as "GET", got "GET /"',
      'policies/p.yaml: methods[3]: expected an HTTP method in upper case such as "GET", got 1',
    ],
  ],
  ['methods empty', policy('kind: request\nmethods: []'), ['policies/p.yaml: methods: expected at least one HTTP method (omit methods to allow any)']],
  [
    'a path regex that does not compile',
    policy('kind: request\npaths: ["^/api/", "[a-"]'),
    ['policies/p.yaml: paths[1]: expected a regular expression, got "[a-" (Unterminated character class)'],
  ],
  // expression
  ['no expression', policy('kind: expression'), ['policies/p.yaml: expression: required']],
  ['an empty expression', policy('kind: expression\nexpression: " "'), ['policies/p.yaml: expression: expected a CEL expression, got " "']],
  ['an expression that is not a string', policy('kind: expression\nexpression: true'), ['policies/p.yaml: expression: expected a CEL expression, got true']],
];

const EXPRESSIONS: readonly (readonly [string, string])[] = [
  ["'staff' in identity.groups &&", 'does not parse: 1:28: found & but expecting end of input'],
  ['user.name == "x"', 'does not type-check: 1:1: unknown name "user" (only identity and request are defined)'],
  ['identity.group == "x"', 'does not type-check: 1:9: identity has no field "group" (it has username, email, groups, attributes, claims)'],
  ['request.query == "x"', 'does not type-check: 1:8: request has no field "query" (it has method, path, host, ip)'],
  ['has(identity.sub)', 'does not type-check: 1:1: identity has no field "sub" (it has username, email, groups, attributes, claims)'],
  ["request.method.lowerAsci() == 'get'", 'does not type-check: 1:15: unknown method "lowerAsci"'],
  ["lower(request.method) == 'get'", 'does not type-check: 1:1: unknown function "lower"'],
  ['request.method.startsWith(1)', 'does not type-check: 1:15: no overload of "startsWith" accepts string.startsWith(int)'],
  ['size(request.method, 2) == 1', 'does not type-check: 1:1: no overload of "size" accepts size(string, int)'],
  ["request.method + 1 == 'x'", 'does not type-check: 1:16: no overload of "+" accepts +(string, int)'],
  ['identity.username && true', 'does not type-check: 1:9: && needs bool operands, got string'],
  ['request.method.foo', 'does not type-check: 1:15: cannot select "foo" from a string'],
  ["request.path.matches('[')", 'does not type-check: 1:22: invalid regular expression "[": missing closing ]: `[`'],
  ["request.path.matches('(?<=a)b')", 'does not type-check: 1:22: invalid regular expression "(?<=a)b": invalid named capture: `(?<=a)b`'],
  ['identity.groups', 'does not type-check: must evaluate to a bool, got list'],
  ["'yes'", 'does not type-check: must evaluate to a bool, got string'],
  ['1 + 1', 'does not type-check: must evaluate to a bool, got int'],
  ['request', 'does not type-check: must evaluate to a bool, got map'],
];

describe('policy file problems', () => {
  it.each(CASES)('%s', (_, files, expected) => {
    expect(problemLines(files)).toEqual(expected);
  });

  it.each(EXPRESSIONS)('expression %j', (expression, message) => {
    const files = policy(`kind: expression\nexpression: ${JSON.stringify(expression)}`);
    expect(problemLines(files)).toEqual([`policies/p.yaml: expression: ${message}`]);
  });
});

describe('files with several documents', () => {
  it('name the document by its zero-based index', () => {
    const files = {
      'staff.yaml': [
        'name: a\nkind: group\ngroups: [a]',
        'name: b\nkind: group\ngroups: [b]',
        'name: c\nkind: group\ngroups: staff',
      ].join('\n---\n'),
    };
    expect(problemLines(files)).toEqual(['policies/staff.yaml: [2].groups: expected a list of group names, got "staff"']);
  });

  it('ignore empty documents but keep counting them', () => {
    const files = { 'p.yaml': '---\n# nothing here\n---\nname: a\nkind: group\ngroups: a\n---\n' };
    expect(problemLines(files)).toEqual(['policies/p.yaml: [1].groups: expected a list of group names, got "a"']);
  });

  it('report a document-level problem under the index alone', () => {
    const files = { 'p.yaml': 'name: a\nkind: group\ngroups: [a]\n---\n[1, 2]\n' };
    expect(problemLines(files)).toEqual(['policies/p.yaml: [1]: expected a mapping with name and kind, got [1,2]']);
  });
});

describe('duplicate names', () => {
  it('name both files', () => {
    const files = {
      'a.yaml': 'name: staff\nkind: group\ngroups: [staff]\n',
      'b.yaml': 'name: other\nkind: group\ngroups: [x]\n---\nname: staff\nkind: group\ngroups: [admins]\n',
    };
    expect(problemLines(files)).toEqual(['policies/b.yaml: [1].name: duplicate policy name "staff" (already defined in policies/a.yaml)']);
  });

  it('name both documents of one file', () => {
    const files = { 'a.yaml': 'name: staff\nkind: group\ngroups: [a]\n---\nname: staff\nkind: network\ncidrs: ["::1"]\n' };
    expect(problemLines(files)).toEqual(['policies/a.yaml: [1].name: duplicate policy name "staff" (already defined in policies/a.yaml [0])']);
  });

  it('are found even when one of the two has other problems', () => {
    const files = {
      'a.yaml': 'name: staff\nkind: group\ngroups: [staff]\n',
      'b.yaml': 'name: staff\nkind: group\ngroups: []\n',
    };
    expect(problemLines(files)).toEqual([
      'policies/b.yaml: groups: expected at least one group name',
      'policies/b.yaml: name: duplicate policy name "staff" (already defined in policies/a.yaml)',
    ]);
  });
});

describe('YAML errors', () => {
  it('give the line and column', () => {
    const lines = problemLines({ 'p.yaml': 'name: p\nkind: group\ngroups: [a\n' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^policies\/p\.yaml:\d+:\d+: invalid YAML: /);
  });

  it('reject duplicate keys rather than keep the last', () => {
    const lines = problemLines({ 'p.yaml': 'name: p\nkind: group\ngroups: [a]\ngroups: [b]\n' });
    expect(lines).toEqual([expect.stringMatching(/^policies\/p\.yaml:4:1: invalid YAML: Map keys must be unique/)]);
  });

  it('keep the other documents and files checked', () => {
    const lines = problemLines({
      'a.yaml': 'name: a\nkind: group\ngroups: [a\n---\nname: b\nkind: group\ngroups: b\n',
      'b.yaml': 'name: c\nkind: kind\n',
    });
    expect(lines).toEqual([
      expect.stringMatching(/^policies\/a\.yaml:\d+:\d+: invalid YAML: /),
      'policies/a.yaml: [1].groups: expected a list of group names, got "b"',
      `policies/b.yaml: kind: expected one of ${KINDS}, got "kind"`,
    ]);
  });
});

describe('all problems at once', () => {
  it('lists every problem of every file in one error, with the folder as its source', () => {
    const error = validationErrorOf(() =>
      setOf({
        'a.yaml': 'name: a\nkind: network\ncidrs: ["10.0.0.0/33"]\n---\nname: b\nkind: time\ntimezone: Nowhere\nhours: "9-5"\n',
        'b.yaml': 'name: c\nkind: request\nmethods: [get]\nextra: 1\n',
        'c.yaml': 'name: a\nkind: group\ngroups: [x]\n',
      }),
    );
    expect(error.source).toBe(DIR);
    expect(error.code).toBe('PCL_POLICY_INVALID');
    expect(error.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'policies/a.yaml: [0].cidrs[0]: expected an IP address or a CIDR range such as "10.0.0.0/8", got "10.0.0.0/33"',
      'policies/a.yaml: [1].timezone: expected an IANA time zone such as "Europe/Berlin", got "Nowhere"',
      'policies/a.yaml: [1].hours: expected a range "HH:MM-HH:MM" (24-hour clock, end exclusive) such as "08:00-18:00", got "9-5"',
      'policies/b.yaml: extra: unknown key (a request policy takes name, kind, description, methods, paths)',
      'policies/b.yaml: methods[0]: expected an HTTP method in upper case such as "GET", got "get"',
      'policies/c.yaml: name: duplicate policy name "a" (already defined in policies/a.yaml [0])',
    ]);
    expect(error.message).toContain('policies/b.yaml: extra: unknown key');
  });
});
