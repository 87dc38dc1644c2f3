import { isAbsolute, resolve } from 'node:path';

import type { DevOutpostProvider, DevOutpostSettings, DevProxyMode } from '../outpost/types.js';
import {
  join, readBoolean, readList, readMapping, readNumber, readString, readStringList, rejectUnknownKeys, reportDuplicates,
} from './checks.js';
import type { Mapping, Problems } from './checks.js';

const OUTPOST_KEYS = ['name', 'token', 'refreshIntervalS', 'providers'];
const PROVIDER_KEYS = [
  'pk', 'name', 'client', 'slug', 'applicationName', 'externalHost', 'internalHost', 'internalHostSslValidation', 'mode',
  'skipPathRegex', 'basicAuthEnabled', 'basicAuthUserAttribute', 'basicAuthPasswordAttribute', 'interceptHeaderAuth',
  'cookieDomain', 'accessTokenValidity', 'scopes', 'certificateFile', 'keyFile',
];
const MODES: readonly DevProxyMode[] = ['proxy', 'forward_single', 'forward_domain'];
const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'ak_proxy'];
/** authentik's default `refresh_interval` is `minutes=5`. */
const DEFAULT_REFRESH_INTERVAL_S = 300;

export interface OutpostReadContext {
  /** Client ids defined under `clients:`. */
  readonly clients: ReadonlySet<string>;
  /** Relative PEM paths are resolved against this (the users file's folder); default: the working directory. */
  readonly baseDir?: string;
}

/** Validates the users file's `outpost` section; every problem lands in `problems` with its dotted path. */
export function readOutpost(raw: unknown, path: string, context: OutpostReadContext, problems: Problems): DevOutpostSettings {
  const m = readMapping(raw, path, problems) ?? {};
  rejectUnknownKeys(m, OUTPOST_KEYS, path, problems);
  const providers = readList(m, 'providers', path, problems).map((item, i) =>
    readOutpostProvider(item, join(join(path, 'providers'), i), context, problems),
  );
  reportProviderDuplicates(providers, (i) => `${path}.providers[${i}]`, problems);
  return {
    name: readString(m, 'name', path, problems, { required: true }),
    // A dev fixture: the token is kept in plaintext, like the users' documented dev passwords.
    token: readString(m, 'token', path, problems, { required: true, secret: true }),
    refreshIntervalS: readNumber(m, 'refreshIntervalS', path, problems, DEFAULT_REFRESH_INTERVAL_S, { integer: true, min: 0 }),
    providers,
  };
}

/** One `outpost.providers[]` entry; also validates `setProvider` patches (merged over the current entry). */
export function readOutpostProvider(item: unknown, path: string, context: OutpostReadContext, problems: Problems): DevOutpostProvider {
  const m = readMapping(item, path, problems) ?? {};
  rejectUnknownKeys(m, PROVIDER_KEYS, path, problems);
  const client = readString(m, 'client', path, problems, { required: true });
  // A provider without its OAuth client could serve no client_id, and the outpost would fail late.
  if (client !== '' && !context.clients.has(client)) problems.add(join(path, 'client'), `unknown client "${client}" (define it under clients)`);
  const slug = readString(m, 'slug', path, problems, { required: true });
  if (m['pk'] === undefined || m['pk'] === null) problems.add(join(path, 'pk'), 'is required');
  return {
    pk: readNumber(m, 'pk', path, problems, 0, { integer: true, min: 1 }),
    name: readString(m, 'name', path, problems, { required: true }),
    client,
    slug,
    applicationName: readString(m, 'applicationName', path, problems) || slug,
    externalHost: readHost(m, 'externalHost', path, problems, true),
    internalHost: readHost(m, 'internalHost', path, problems, false),
    internalHostSslValidation: readBoolean(m, 'internalHostSslValidation', path, problems, true),
    mode: readMode(m, path, problems),
    skipPathRegex: readString(m, 'skipPathRegex', path, problems),
    basicAuthEnabled: readBoolean(m, 'basicAuthEnabled', path, problems, false),
    basicAuthUserAttribute: readString(m, 'basicAuthUserAttribute', path, problems),
    basicAuthPasswordAttribute: readString(m, 'basicAuthPasswordAttribute', path, problems),
    interceptHeaderAuth: readBoolean(m, 'interceptHeaderAuth', path, problems, true),
    cookieDomain: readString(m, 'cookieDomain', path, problems),
    accessTokenValidity: readNumber(m, 'accessTokenValidity', path, problems, null, { min: 0, nullable: true }),
    scopes: m['scopes'] === undefined ? [...DEFAULT_SCOPES] : readStringList(m, 'scopes', path, problems),
    ...readKeypairFiles(m, path, context, problems),
  };
}

/** pks, provider names and application slugs are unique in authentik. */
export function reportProviderDuplicates(providers: readonly DevOutpostProvider[], pathOf: (i: number) => string, problems: Problems): void {
  reportDuplicates(providers.map((p, i) => ({ key: p.pk === 0 ? '' : String(p.pk), path: `${pathOf(i)}.pk` })), 'provider pk', problems);
  reportDuplicates(providers.map((p, i) => ({ key: p.name, path: `${pathOf(i)}.name` })), 'provider name', problems);
  reportDuplicates(providers.map((p, i) => ({ key: p.slug, path: `${pathOf(i)}.slug` })), 'application slug', problems);
}

function readMode(m: Mapping, path: string, problems: Problems): DevProxyMode {
  const mode = readString(m, 'mode', path, problems, { fallback: 'proxy' });
  if ((MODES as readonly string[]).includes(mode)) return mode as DevProxyMode;
  problems.add(join(path, 'mode'), `expected one of ${MODES.join(', ')}, got "${mode}"`);
  return 'proxy';
}

function readHost(m: Mapping, key: string, path: string, problems: Problems, required: boolean): string {
  const value = readString(m, key, path, problems, { required });
  if (value === '') return value;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || !/^https?:$/.test(url.protocol)) problems.add(join(path, key), `expected an absolute http(s) URL, got "${value}"`);
  return value;
}

function readKeypairFiles(
  m: Mapping,
  path: string,
  context: OutpostReadContext,
  problems: Problems,
): Pick<DevOutpostProvider, 'certificateFile' | 'keyFile'> {
  const certificateFile = readString(m, 'certificateFile', path, problems);
  const keyFile = readString(m, 'keyFile', path, problems);
  // A certificate without its key could not serve TLS; a key alone means nothing.
  if (certificateFile !== '' && keyFile === '') problems.add(join(path, 'keyFile'), 'is required together with certificateFile');
  if (keyFile !== '' && certificateFile === '') problems.add(join(path, 'certificateFile'), 'is required together with keyFile');
  const place = (file: string) => (file === '' || isAbsolute(file) || context.baseDir === undefined ? file : resolve(context.baseDir, file));
  return { certificateFile: place(certificateFile), keyFile: place(keyFile) };
}
