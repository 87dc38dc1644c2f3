/** Reading, interpolating, parsing, validating and freezing the configuration file. */

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { messageOf, PortcullisError, ValidationError } from '../errors/index.js';
import { deepFreeze } from './freeze.js';
import { interpolate } from './interpolate.js';
import type { Environment } from './interpolate.js';
import { Problems } from './problems.js';
import type { Config } from './types.js';
import { parseDocument } from './validate.js';
import { parseYaml, sourceLabel } from './yaml.js';

export interface ParseOptions {
  /** Path shown in errors and kept as `Config.source`; '' for a configuration built in memory. */
  readonly source: string;
  /** Where `${NAME}` values come from; the caller passes `process.env` (nothing here reads it). */
  readonly env: Environment;
  /** Folder that relative paths (`policiesDir`) resolve from. */
  readonly baseDir: string;
}

export interface ValidateOptions extends ParseOptions {
  /** An empty `applications` list is no problem (a source that brings its own applications). */
  readonly applicationsMayBeEmpty?: boolean;
  /**
   * `${NAME}` was already replaced where it may be (`readConfigDocument`): values that came
   * from elsewhere, such as authentik's API, are never interpolated.
   */
  readonly interpolated?: boolean;
}

/**
 * Validates configuration text into a deep-frozen Config.
 * @throws PortcullisError PCL_CONFIG_UNREADABLE when the text is not one YAML document
 * @throws ValidationError PCL_CONFIG_INVALID listing every problem, each with its dotted path
 */
export function parseConfig(text: string, options: ParseOptions): Config {
  return validateConfig(parseYaml(text, options.source), options);
}

/**
 * Validates a configuration document already read (YAML text parsed, or assembled by a
 * configuration source such as authentik's API) into a deep-frozen Config.
 * @throws ValidationError PCL_CONFIG_INVALID listing every problem, each with its dotted path
 */
export function validateConfig(raw: unknown, options: ValidateOptions): Config {
  const parsed = parseDocument(raw, options);
  const config: Config = {
    source: options.source,
    outpostName: parsed.outpostName,
    workers: parsed.workers,
    listen: parsed.listen,
    metricsListen: parsed.metricsListen,
    tlsListen: parsed.tlsListen,
    tls: {
      certificates: parsed.tls.certificates.map((c) => ({
        ...c,
        certFile: c.certFile === '' ? '' : resolve(options.baseDir, c.certFile),
        keyFile: c.keyFile === '' ? '' : resolve(options.baseDir, c.keyFile),
      })),
    },
    secret: parsed.secret,
    trustedProxies: parsed.trustedProxies,
    log: parsed.log,
    policiesDir: resolve(options.baseDir, parsed.policiesDir),
    pagesDir: parsed.pagesDir === '' ? '' : resolve(options.baseDir, parsed.pagesDir),
    sessions: parsed.sessions,
    timeouts: parsed.timeouts,
    limits: parsed.limits,
    cache: parsed.cache,
    applications: parsed.applications.map((app) => ({
      ...app,
      slug: app.slug === '' ? app.name : app.slug,
      providerName: app.providerName === '' ? app.identity.clientId : app.providerName,
    })),
  };
  return deepFreeze(config);
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return messageOf(error);
}

/** A configuration file read, parsed and interpolated, not yet validated. */
export interface ConfigDocument {
  readonly source: string;
  readonly baseDir: string;
  readonly raw: unknown;
}

/**
 * Reads a configuration file into a document another source completes (authentik's API adds
 * the applications); `${NAME}` is replaced here, in the file's values only.
 * @throws PortcullisError PCL_CONFIG_UNREADABLE, ValidationError PCL_CONFIG_INVALID
 */
export async function readConfigDocument(file: string, env: Environment): Promise<ConfigDocument> {
  const source = resolve(file);
  const text = await readConfigText(source);
  const problems = new Problems();
  const raw = interpolate(parseYaml(text, source), env, [], problems);
  if (problems.list.length > 0) throw new ValidationError('PCL_CONFIG_INVALID', sourceLabel(source), problems.list);
  return { source, baseDir: dirname(source), raw };
}

async function readConfigText(source: string): Promise<string> {
  try {
    return await readFile(source, 'utf8');
  } catch (error) {
    throw new PortcullisError('PCL_CONFIG_UNREADABLE', `${source}: cannot read the configuration file (${readFailure(error)})`, {
      cause: error,
    });
  }
}

/**
 * Reads and validates the configuration file; relative paths in it resolve from its folder.
 * @throws PortcullisError PCL_CONFIG_UNREADABLE when the file cannot be read or is not YAML
 * @throws ValidationError PCL_CONFIG_INVALID listing every problem
 */
export async function loadConfig(file: string, env: Environment): Promise<Config> {
  const source = resolve(file);
  return parseConfig(await readConfigText(source), { source, env, baseDir: dirname(source) });
}
