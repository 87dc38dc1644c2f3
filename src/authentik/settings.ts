/**
 * The environment an authentik outpost is deployed with (authentik: *Outposts → Deploy*), read
 * once by the command line and handed down as values.
 */

import { PortcullisError } from '../errors/index.js';

export interface AuthentikSettings {
  /** API base, always ending in `/` (`https://authentik.example.com/`, or a sub-path install). */
  readonly host: URL;
  readonly token: string;
  /** Skip TLS verification of the API (and of the IdP endpoints it hands out). */
  readonly insecure: boolean;
  /** Browser-facing authentik URL, when it differs from `host`; null otherwise. */
  readonly browserHost: URL | null;
  /**
   * `PORTCULLIS_SECRET`, when set: signs cookies instead of the secret derived from the token
   * (a `secret` in the configuration file wins over both).
   */
  readonly secret: string | null;
  /** `AUTHENTIK_LISTEN__*` as set; null where unset (the configuration file or the default decides). */
  readonly listen: { readonly http: string | null; readonly https: string | null; readonly metrics: string | null };
}

export const DEFAULT_LISTEN = { http: '0.0.0.0:9000', https: '0.0.0.0:9443', metrics: '0.0.0.0:9300' } as const;

type Environment = Readonly<Record<string, string | undefined>>;

/** Whether the environment asks for the authentik API mode (both variables set). */
export function wantsAuthentik(env: Environment): boolean {
  return nonEmpty(env.AUTHENTIK_HOST) !== undefined && nonEmpty(env.AUTHENTIK_TOKEN) !== undefined;
}

/**
 * @throws PortcullisError PCL_USAGE naming the variable when one is malformed
 */
export function authentikSettingsFrom(env: Environment): AuthentikSettings {
  const token = nonEmpty(env.AUTHENTIK_TOKEN);
  if (token === undefined) throw usage('AUTHENTIK_TOKEN: expected the outpost token, got nothing');
  return {
    host: baseUrl('AUTHENTIK_HOST', env.AUTHENTIK_HOST),
    token,
    insecure: flag('AUTHENTIK_INSECURE', env.AUTHENTIK_INSECURE),
    secret: nonEmpty(env.PORTCULLIS_SECRET) ?? null,
    browserHost: nonEmpty(env.AUTHENTIK_HOST_BROWSER) === undefined ? null : baseUrl('AUTHENTIK_HOST_BROWSER', env.AUTHENTIK_HOST_BROWSER),
    listen: {
      http: nonEmpty(env.AUTHENTIK_LISTEN__HTTP) ?? null,
      https: nonEmpty(env.AUTHENTIK_LISTEN__HTTPS) ?? null,
      metrics: nonEmpty(env.AUTHENTIK_LISTEN__METRICS) ?? null,
    },
  };
}

function baseUrl(name: string, value: string | undefined): URL {
  let url: URL | null = null;
  try {
    url = new URL(value ?? '');
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') {
    throw usage(`${name}: expected an http(s) URL such as "https://authentik.example.com", got ${JSON.stringify(value ?? '')}`);
  }
  // A sub-path install (`https://example.com/authentik`) keeps its path: the API lives below it.
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  url.search = '';
  url.hash = '';
  return url;
}

function flag(name: string, value: string | undefined): boolean {
  const text = nonEmpty(value)?.toLowerCase();
  if (text === undefined || text === 'false' || text === '0') return false;
  if (text === 'true' || text === '1') return true;
  throw usage(`${name}: expected true or false, got ${JSON.stringify(value)}`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function usage(message: string): PortcullisError {
  return new PortcullisError('PCL_USAGE', message);
}
