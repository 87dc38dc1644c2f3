import { createHash } from 'node:crypto';

import { ValidationError } from '../../errors/index.js';
import type { DevAppPassword, DevClient, DevClientAuthMethod, DevGroup, DevUser, UsersFile } from '../types.js';
import {
  Problems, join, readAttributes, readBoolean, readList, readMapping, readString, readStringList,
  rejectUnknownKeys, reportDuplicates,
} from './checks.js';
import { readOutpost } from './outpost.js';
import { describeHashProblem } from './passwords.js';

const ROOT_KEYS = ['users', 'groups', 'clients', 'outpost'];
const USER_KEYS = ['username', 'uid', 'email', 'name', 'password', 'active', 'groups', 'entitlements', 'attributes', 'appPasswords'];
const APP_PASSWORD_KEYS = ['name', 'hash'];
const GROUP_KEYS = ['name', 'attributes', 'superuser'];
const CLIENT_KEYS = ['id', 'secret', 'redirectUris', 'postLogoutRedirectUris', 'backchannelLogoutUri', 'tokenEndpointAuthMethod', 'jwks', 'userinfoSignedResponseAlg'];
const CLIENT_AUTH_METHODS: readonly DevClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];

export interface ParseUsersFileOptions {
  /** Folder that relative file paths in the file (outpost PEM files) are relative to; default: the working directory. */
  readonly baseDir?: string;
}

/**
 * Validates a parsed users file and returns it deeply frozen. Every problem is collected, each
 * named by its dotted path (`users[1].appPasswords[0].hash`), then thrown as one ValidationError.
 */
export function parseUsersFile(raw: unknown, source: string, options: ParseUsersFileOptions = {}): UsersFile {
  const problems = new Problems();
  const root = readMapping(raw, '', problems) ?? {};
  rejectUnknownKeys(root, ROOT_KEYS, '', problems);

  const groups = readList(root, 'groups', '', problems).map((item, i) => readGroup(item, join('groups', i), problems));
  const known = new Set(groups.map((g) => g.name));
  const users = readList(root, 'users', '', problems).map((item, i) => readUser(item, join('users', i), known, problems));
  const clients = readList(root, 'clients', '', problems).map((item, i) => readClient(item, join('clients', i), problems));

  reportDuplicates(groups.map((g, i) => ({ key: g.name, path: `groups[${i}].name` })), 'group name', problems);
  reportDuplicates(users.map((u, i) => ({ key: u.username, path: `users[${i}].username` })), 'username', problems);
  reportDuplicates(users.map((u, i) => ({ key: u.uid, path: `users[${i}].uid` })), 'uid', problems);
  reportDuplicates(clients.map((c, i) => ({ key: c.id, path: `clients[${i}].id` })), 'client id', problems);
  const outpost = root['outpost'] === undefined
    ? undefined
    : readOutpost(root['outpost'], 'outpost', { clients: new Set(clients.map((c) => c.id)), baseDir: options.baseDir }, problems);

  if (problems.list.length > 0) throw new ValidationError('PCL_USERS_INVALID', source, problems.list);
  return deepFreeze({ users, groups, clients, ...(outpost === undefined ? {} : { outpost }) });
}

/** authentik's default `sub` is a SHA-256 hex of the user; ours hashes the username so it is stable across restarts. */
export function defaultUid(username: string): string {
  return createHash('sha256').update(`portcullis-devidp:${username}`).digest('hex');
}

function readUser(item: unknown, path: string, knownGroups: ReadonlySet<string>, problems: Problems): DevUser {
  const m = readMapping(item, path, problems) ?? {};
  rejectUnknownKeys(m, USER_KEYS, path, problems);
  const username = readString(m, 'username', path, problems, { required: true });
  // HTTP Basic splits user-id and password at the first colon (RFC 7617 §2), so such a name could never sign in.
  if (username.includes(':')) problems.add(join(path, 'username'), 'must not contain ":"');
  const password = m['password'] === undefined ? undefined : readHash(m, 'password', path, problems);
  const appPasswords = readList(m, 'appPasswords', path, problems).map((entry, i) =>
    readAppPassword(entry, join(join(path, 'appPasswords'), i), problems),
  );
  reportDuplicates(
    appPasswords.map((a, i) => ({ key: a.name, path: `${path}.appPasswords[${i}].name` })),
    'app password name',
    problems,
  );
  return {
    username,
    uid: readString(m, 'uid', path, problems) || defaultUid(username),
    email: readString(m, 'email', path, problems),
    name: readString(m, 'name', path, problems) || username,
    ...(password === undefined ? {} : { password }),
    active: readBoolean(m, 'active', path, problems, true),
    // A typo in a group name would silently drop attributes and policy matches, so it is an error.
    groups: readStringList(m, 'groups', path, problems, (group) =>
      knownGroups.has(group) ? undefined : `unknown group "${group}" (define it under groups)`,
    ),
    entitlements: readStringList(m, 'entitlements', path, problems),
    attributes: readAttributes(m, 'attributes', path, problems),
    appPasswords,
  };
}

function readAppPassword(item: unknown, path: string, problems: Problems): DevAppPassword {
  const m = readMapping(item, path, problems) ?? {};
  rejectUnknownKeys(m, APP_PASSWORD_KEYS, path, problems);
  return { name: readString(m, 'name', path, problems, { required: true }), hash: readHash(m, 'hash', path, problems) };
}

function readHash(m: Readonly<Record<string, unknown>>, key: string, path: string, problems: Problems): string {
  const value = readString(m, key, path, problems, { required: true, secret: true });
  // Never echo the value: a plaintext password pasted by mistake must not end up in logs.
  const problem = value === '' ? undefined : describeHashProblem(value);
  if (problem !== undefined) problems.add(join(path, key), problem);
  return value;
}

function readGroup(item: unknown, path: string, problems: Problems): DevGroup {
  const m = readMapping(item, path, problems) ?? {};
  rejectUnknownKeys(m, GROUP_KEYS, path, problems);
  return {
    name: readString(m, 'name', path, problems, { required: true }),
    attributes: readAttributes(m, 'attributes', path, problems),
    superuser: readBoolean(m, 'superuser', path, problems, false),
  };
}

function readClient(item: unknown, path: string, problems: Problems): DevClient {
  const m = readMapping(item, path, problems) ?? {};
  rejectUnknownKeys(m, CLIENT_KEYS, path, problems);
  const backchannelLogoutUri = readString(m, 'backchannelLogoutUri', path, problems);
  const uriProblem = backchannelLogoutUri === '' ? undefined : urlProblem(backchannelLogoutUri);
  if (uriProblem !== undefined) problems.add(join(path, 'backchannelLogoutUri'), uriProblem);
  const method = readClientAuthMethod(m, path, problems);
  const usesSecret = method === undefined || method === 'client_secret_basic' || method === 'client_secret_post';
  const jwks = m['jwks'] === undefined ? undefined : readAttributes(m, 'jwks', path, problems);
  if (method === 'private_key_jwt' && !Array.isArray(jwks?.['keys'])) problems.add(join(path, 'jwks'), 'is required with private_key_jwt: a JWK Set ({keys: [...]}) of the client\'s public keys');
  const signed = readString(m, 'userinfoSignedResponseAlg', path, problems);
  if (signed !== '' && signed !== 'RS256') problems.add(join(path, 'userinfoSignedResponseAlg'), `expected RS256 (the IdP's signing algorithm), got "${signed}"`);
  return {
    id: readString(m, 'id', path, problems, { required: true }),
    // A public or private_key_jwt client has no secret to check.
    secret: readString(m, 'secret', path, problems, { required: usesSecret, secret: true }),
    redirectUris: readUrls(m, 'redirectUris', path, problems, true),
    postLogoutRedirectUris: readUrls(m, 'postLogoutRedirectUris', path, problems, false),
    backchannelLogoutUri,
    ...(method === undefined ? {} : { tokenEndpointAuthMethod: method }),
    ...(jwks === undefined ? {} : { jwks }),
    ...(signed === 'RS256' ? { userinfoSignedResponseAlg: signed } : {}),
  };
}

function readClientAuthMethod(m: Readonly<Record<string, unknown>>, path: string, problems: Problems): DevClientAuthMethod | undefined {
  const value = readString(m, 'tokenEndpointAuthMethod', path, problems);
  if (value === '') return undefined;
  const method = CLIENT_AUTH_METHODS.find((known) => known === value);
  if (method === undefined) problems.add(join(path, 'tokenEndpointAuthMethod'), `expected one of ${CLIENT_AUTH_METHODS.join(', ')}, got "${value}"`);
  return method;
}

function readUrls(m: Readonly<Record<string, unknown>>, key: string, path: string, problems: Problems, required: boolean): string[] {
  const present = m[key] !== undefined && m[key] !== null;
  const urls = readStringList(m, key, path, problems, urlProblem);
  if (required && !present) problems.add(join(path, key), 'is required');
  else if (required && Array.isArray(m[key]) && m[key].length === 0) problems.add(join(path, key), 'must list at least one URL');
  return urls;
}

function urlProblem(value: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // A fragment can never be part of a redirect target (RFC 6749 §3.1.2).
  if (url === undefined || !/^https?:$/.test(url.protocol) || url.hash !== '' || value.endsWith('#')) {
    return `expected an absolute http(s) URL without fragment, got "${value}"`;
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
