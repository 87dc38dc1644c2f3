/**
 * The configuration of an outpost run by authentik: the local file's settings (sessions,
 * trustedProxies, log, limits, its own applications), the deployment environment (listeners)
 * and every Proxy Provider from the API, validated together by the configuration schema into
 * the same immutable `Config` a YAML file gives. A provider that does not validate is left out
 * and reported by its `pk`, `name` and field; the others are served.
 */

import { hkdfSync } from 'node:crypto';
import { isPlainObject, validateConfig, type Config, type ConfigDocument } from '../config/index.js';
import { ValidationError, type ValidationProblem } from '../errors/index.js';
import type { CertificateKeypair, Outpost, ProxyOutpostConfig } from './api-types.js';
import { authentikFieldOf, mapProvider, type MappedProvider } from './mapping.js';
import { DEFAULT_LISTEN, type AuthentikSettings } from './settings.js';

export interface SkippedProvider {
  readonly pk: number | string;
  readonly name: string;
  /** The authentik field at fault (`external_host`, `oidc_configuration.jwks_uri`…). */
  readonly field: string;
  readonly problem: string;
}

export interface Assembled {
  readonly config: Config;
  readonly skipped: readonly SkippedProvider[];
  /** The providers served, by application name (their keypairs, for the HTTPS listener). */
  readonly providers: readonly MappedProvider[];
}

export interface AssembleInput {
  readonly settings: AuthentikSettings;
  /** The local configuration file, if one was given. */
  readonly local: ConfigDocument | null;
  /** Null before the API has answered: the local settings alone, no provider. */
  readonly outpost: Outpost | null;
  readonly providers: readonly ProxyOutpostConfig[];
  /** The providers' TLS keypairs by keypair id, as fetched; a provider whose keypair is missing is served without one. */
  readonly keypairs?: ReadonlyMap<string, CertificateKeypair>;
}

const SOURCE = 'authentik API';

export function assembleConfig(input: AssembleInput): Assembled {
  const top = topLevel(input);
  const localApps = Array.isArray(top.applications) ? (top.applications as unknown[]) : [];
  const taken = new Set<string>();
  for (const app of localApps) remember(taken, app);
  const skipped: SkippedProvider[] = [];
  const served: MappedProvider[] = [];
  const options = { plainHttpApi: input.settings.host.protocol === 'http:', browserHost: input.settings.browserHost, insecure: input.settings.insecure };
  for (const provider of input.providers) {
    const mapped = mapProvider(provider, options);
    const problem = checkAlone(top, mapped) ?? clash(taken, mapped);
    if (problem !== null) {
      skipped.push(problem);
      continue;
    }
    remember(taken, mapped.application);
    served.push(mapped);
  }
  const config = validateConfig(
    { ...top, tls: tlsOf(top, served, input.keypairs), applications: [...localApps, ...served.map((p) => p.application)] },
    { source: input.local?.source ?? SOURCE, env: {}, baseDir: input.local?.baseDir ?? process.cwd(), applicationsMayBeEmpty: true, interpolated: true },
  );
  return { config, skipped, providers: served };
}

/**
 * The local settings alone, before the API answered: listeners, sessions, logging, the file's
 * own applications, no provider.
 * @throws ValidationError naming the file's key at fault
 */
export function localSettingsConfig(settings: AuthentikSettings, local: ConfigDocument | null): Config {
  return assembleConfig({ settings, local, outpost: null, providers: [] }).config;
}

/**
 * The top level: the file's keys, with the listeners of the deployment environment
 * (`AUTHENTIK_LISTEN__*` over the file over authentik's defaults), the outpost's name, and a
 * secret the file or `PORTCULLIS_SECRET` gave, else one derived from the outpost token so that
 * every replica of the outpost signs the same cookies.
 */
function topLevel(input: AssembleInput): Record<string, unknown> {
  const file = isPlainObject(input.local?.raw) ? input.local.raw : {};
  const { listen } = input.settings;
  return {
    ...file,
    listen: listen.http ?? file.listen ?? DEFAULT_LISTEN.http,
    metricsListen: listen.metrics ?? file.metricsListen ?? DEFAULT_LISTEN.metrics,
    tlsListen: listen.https ?? file.tlsListen ?? DEFAULT_LISTEN.https,
    secret: file.secret ?? input.settings.secret ?? derivedSecret(input.settings.token),
    ...(input.outpost === null ? {} : { outpostName: input.outpost.name }),
  };
}

/** The file's certificates, then each served provider's keypair (once per keypair), inline. */
function tlsOf(top: Record<string, unknown>, served: readonly MappedProvider[], keypairs: ReadonlyMap<string, CertificateKeypair> | undefined): unknown {
  const file = isPlainObject(top.tls) ? top.tls : {};
  const own = Array.isArray(file.certificates) ? (file.certificates as unknown[]) : [];
  const ids = [...new Set(served.map((p) => p.certificate).filter((id): id is string => id !== null))];
  const fetched = ids.flatMap((id) => {
    const pair = keypairs?.get(id);
    return pair === undefined ? [] : [{ cert: pair.certificate, key: pair.privateKey }];
  });
  return { ...file, certificates: [...own, ...fetched] };
}

function derivedSecret(token: string): string {
  return Buffer.from(hkdfSync('sha256', Buffer.from(token, 'utf8'), Buffer.alloc(0), 'portcullis outpost secret', 32)).toString('base64url');
}

function checkAlone(top: Record<string, unknown>, mapped: MappedProvider): SkippedProvider | null {
  try {
    validateConfig({ ...top, applications: [mapped.application] }, { source: SOURCE, env: {}, baseDir: process.cwd(), interpolated: true });
    return null;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const first = error.problems.find((p) => p.path.startsWith('applications[0]')) ?? error.problems[0];
    return skippedFor(mapped, first);
  }
}

function skippedFor(mapped: MappedProvider, problem: ValidationProblem | undefined): SkippedProvider {
  const key = problem?.path.replace(/^applications\[0\]\.?/, '') ?? '';
  return { pk: mapped.pk, name: mapped.name, field: authentikFieldOf(key), problem: problem?.message ?? 'does not validate' };
}

/** Names and hosts route requests; a provider may take neither from an application already served. */
function clash(taken: ReadonlySet<string>, mapped: MappedProvider): SkippedProvider | null {
  const { name, externalHost } = mapped.application;
  if (taken.has(`name:${String(name)}`)) {
    return { pk: mapped.pk, name: mapped.name, field: 'assigned_application_slug', problem: `another application is already named "${String(name)}"` };
  }
  const host = hostOf(externalHost);
  if (host !== null && taken.has(`host:${host}`)) {
    return { pk: mapped.pk, name: mapped.name, field: 'external_host', problem: `host "${host}" is already served by another application` };
  }
  return null;
}

function remember(taken: Set<string>, application: unknown): void {
  if (!isPlainObject(application)) return;
  if (typeof application.name === 'string') taken.add(`name:${application.name}`);
  const host = hostOf(application.externalHost);
  if (host !== null) taken.add(`host:${host}`);
}

function hostOf(value: unknown): string | null {
  try {
    return typeof value === 'string' ? new URL(value).host : null;
  } catch {
    return null;
  }
}
