/**
 * Users of the development IdP whose claims try to break the identity headers: CR/LF that would
 * split a header line, control characters, non-ASCII, `|` inside a group name, thousands of
 * groups. They are added to the users of `users.yaml` (alice, bob, carol keep their passwords
 * and attributes), and all of them share one app password so a test can sign in as any.
 */

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { hashPassword, parseUsersFile, type UsersFile } from '../../src/devidp/index.js';
import { USERS_FILE } from './auth-stack.js';

/** The app password of every user defined here. */
export const HOSTILE_PASSWORD = 'hostile-app-password';

/** The header a successful injection would add to the upstream request. */
export const INJECTED = 'x-injected';

/** A group whose name holds the groups separator: it must stay one group. */
export const PIPE_GROUP = 'ops|admins';
/** A group whose name holds a CR LF and a header line. */
export const CRLF_GROUP = `sales\r\n${INJECTED}: group`;
/** A group whose name looks percent-encoded already: `%` must be encoded so it decodes back to itself. */
export const PERCENT_GROUP = '%41%7C';
export const UNICODE_GROUP = 'équipe-日本';

export const MANY_GROUPS = Array.from({ length: 2000 }, (_, i) => `group-${String(i).padStart(4, '0')}`);
/**
 * Groups whose token still fits Portcullis's access-token limit (16 KiB) but whose identity
 * headers (groups plus the JWT) outgrow a typical upstream's header limit (Node: 16 KiB).
 */
export const WIDE_GROUPS = Array.from({ length: 280 }, (_, i) => `department-of-long-names-${String(i).padStart(4, '0')}`);

export interface HostileUser {
  readonly username: string;
  readonly uid: string;
  readonly email: string;
  readonly name: string;
  readonly groups: readonly string[];
  readonly entitlements: readonly string[];
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/**
 * `crlf` signs in with Basic (its username is plain); `crlfUsername` cannot (RFC 7617 forbids
 * control characters in a Basic user-id), so tests get a Bearer token for it.
 */
export const HOSTILE = {
  crlf: {
    username: 'eve',
    uid: `eve-uid\r\n${INJECTED}: uid`,
    email: `eve@example.com\r\n${INJECTED}: email`,
    name: `Eve\r\n${INJECTED}: name\r\n\r\nGET /smuggled HTTP/1.1`,
    groups: [PIPE_GROUP, CRLF_GROUP, PERCENT_GROUP, 'plain'],
    entitlements: [`read|write`, `ent\n${INJECTED}: entitlement`],
  },
  crlfUsername: {
    // No ":" (the IdP refuses it in a username), so it tries to smuggle a whole request instead.
    username: 'mallory\r\n\r\nGET /smuggled HTTP/1.1\r\nHost x\r\n',
    uid: 'mallory-uid',
    email: 'mallory@example.com',
    name: `Mallory\n${INJECTED}: lf-only\r${INJECTED}: cr-only`,
    groups: ['plain'],
    entitlements: [],
  },
  controls: {
    username: 'ctrl',
    uid: 'ctrl-uid',
    email: 'ctrl@example.com',
    // NUL, BEL, ESC, DEL, NEL (U+0085), LINE SEPARATOR (U+2028), a tab, and a lone surrogate.
    name: 'a\u0000b\u0007c\u001bd\u007fe\u0085f\u2028g\th\ud800i',
    groups: ['plain'],
    entitlements: [],
  },
  unicode: {
    username: 'zoë',
    uid: 'zoe-uid',
    email: 'zoë@exämple.com',
    name: 'Zoë Ünïcødé 日本語 😀',
    groups: [UNICODE_GROUP, 'plain'],
    entitlements: [],
  },
  spaces: {
    // A name that differs from "alice" only by whitespace must not arrive as "alice".
    username: ' alice ',
    uid: 'spaces-uid',
    email: ' alice@example.com',
    name: '  Alice Example  ',
    groups: ['plain'],
    entitlements: [],
  },
  manyGroups: {
    username: 'octopus',
    uid: 'octopus-uid',
    email: 'octopus@example.com',
    name: 'Octopus',
    groups: MANY_GROUPS,
    entitlements: [],
  },
  wideGroups: {
    username: 'centipede',
    uid: 'centipede-uid',
    email: 'centipede@example.com',
    name: 'Centipede',
    groups: WIDE_GROUPS,
    entitlements: [],
  },
  // upstreamBasicAuth: attributes missing (email fallback), a colon in the username, odd passwords.
  noAttributes: {
    username: 'plainuser',
    uid: 'plainuser-uid',
    email: 'plainuser@example.com',
    name: 'Plain User',
    groups: ['plain'],
    entitlements: [],
  },
  noEmail: {
    username: 'noemail',
    uid: 'noemail-uid',
    email: '',
    name: 'No Email',
    groups: ['plain'],
    entitlements: [],
  },
  colonUsername: {
    username: 'colon',
    uid: 'colon-uid',
    email: 'colon@example.com',
    name: 'Colon',
    groups: ['staff'],
    entitlements: [],
    attributes: { app_username: 'svc:admin', app_password: 'pw' },
  },
  colonPassword: {
    username: 'colonpw',
    uid: 'colonpw-uid',
    email: 'colonpw@example.com',
    name: 'Colon Password',
    groups: ['plain'],
    entitlements: [],
    attributes: { app_username: 'svc-ü', app_password: 'p:a:ss wörd' },
  },
  crlfPassword: {
    username: 'crlfpw',
    uid: 'crlfpw-uid',
    email: 'crlfpw@example.com',
    name: 'CRLF Password',
    groups: ['plain'],
    entitlements: [],
    attributes: { app_username: 'svc', app_password: `pw\r\n${INJECTED}: basic` },
  },
} as const satisfies Record<string, HostileUser>;

export type HostileName = keyof typeof HOSTILE;

/** `users.yaml` plus the users above, validated by the IdP's own users-file parser. */
export function hostileUsersFile(): UsersFile {
  const base = parse(readFileSync(USERS_FILE, 'utf8')) as { users: unknown[]; groups: { name: string }[]; clients: unknown[] };
  const hash = hashPassword(HOSTILE_PASSWORD);
  const known = new Set(base.groups.map((group) => group.name));
  const extraGroups = new Set<string>();
  for (const user of Object.values(HOSTILE) as HostileUser[]) {
    for (const group of user.groups) {
      if (!known.has(group)) extraGroups.add(group);
    }
  }
  return parseUsersFile(
    {
      users: [
        ...base.users,
        ...(Object.values(HOSTILE) as HostileUser[]).map((user) => ({
          ...user,
          groups: [...user.groups],
          entitlements: [...user.entitlements],
          attributes: user.attributes ?? {},
          appPasswords: [{ name: 'cli', hash }],
        })),
      ],
      groups: [...base.groups, ...[...extraGroups].map((name) => ({ name }))],
      clients: base.clients,
    },
    'hostile-users',
  );
}
