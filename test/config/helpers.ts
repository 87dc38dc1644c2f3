/** Builds configurations from plain objects and collects the problems they produce. */

import { stringify } from 'yaml';
import { isPortcullisError, type ValidationProblem } from '../../src/errors/index.js';
import { parseConfig, type Config } from '../../src/config/index.js';

export const SECRET = 'a-test-secret-of-at-least-32-bytes!!';

export type Doc = Record<string, unknown>;

/** The smallest valid configuration: a secret, an identity and one proxy-mode application. */
export function baseDoc(): Doc {
  return {
    secret: SECRET,
    identity: { issuer: 'https://auth.example.com/application/o/app/', clientId: 'portcullis' },
    applications: [{ name: 'app', externalHost: 'https://app.example.com', internalHost: 'http://127.0.0.1:3000' }],
  };
}

/** baseDoc() with `change` applied to a copy. */
export function docWith(change: (doc: Doc) => void): Doc {
  const doc = baseDoc();
  change(doc);
  return doc;
}

/** The first application of a document built by baseDoc(). */
export function app0(doc: Doc): Record<string, unknown> {
  return (doc['applications'] as Record<string, unknown>[])[0] as Record<string, unknown>;
}

export function parseText(text: string, env: Record<string, string | undefined> = {}): Config {
  return parseConfig(text, { source: '/etc/portcullis/portcullis.yaml', env, baseDir: '/etc/portcullis' });
}

export function parseDoc(doc: Doc, env: Record<string, string | undefined> = {}): Config {
  return parseText(stringify(doc), env);
}

/** The problems a text produces; fails the test when it validates or fails otherwise. */
export function problemsOfText(text: string, env: Record<string, string | undefined> = {}): readonly ValidationProblem[] {
  try {
    parseText(text, env);
  } catch (error) {
    if (isPortcullisError(error, 'PCL_CONFIG_INVALID') && 'problems' in error) {
      return error.problems as readonly ValidationProblem[];
    }
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

export function problemsOf(doc: Doc, env: Record<string, string | undefined> = {}): readonly ValidationProblem[] {
  return problemsOfText(stringify(doc), env);
}

/** The error a text produces, whatever it is. */
export function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
