/**
 * Every Portcullis configuration the documentation shows validates (issue 17): each YAML block of
 * README.md and docs/*.md whose keys are configuration keys, completed with what a snippet
 * leaves out (a secret, an identity, an application), goes through the same validation as a
 * configuration file. Other YAML (policy files, Traefik, Envoy) is not Portcullis configuration.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { validateConfig } from '../../src/config/index.js';
import { configJsonSchema } from '../../src/config/index.js';

const ROOT = new URL('../../', import.meta.url);
const FILES = ['README.md', ...readdirSync(new URL('docs/', ROOT)).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const CONFIG_KEYS = new Set(Object.keys((configJsonSchema().properties ?? {}) as object));

/** What a snippet may leave out, so that a fragment validates as part of a whole file. */
const COMPLETION: Record<string, unknown> = {
  secret: 'a-documentation-secret-of-at-least-32-bytes',
  identity: { issuer: 'https://auth.example.com/application/o/app/', clientId: 'app' },
  applications: [{ name: 'app', externalHost: 'https://app.example.com', internalHost: 'http://app:3000' }],
};

/** An application written with `# …` for what does not matter to the example. */
function completeApplication(item: unknown): unknown {
  if (typeof item !== 'object' || item === null) return item;
  const app = item as Record<string, unknown>;
  const name = typeof app.name === 'string' ? app.name : 'app';
  const hosts = app.mode === undefined || app.mode === 'proxy' ? { externalHost: `https://${name}.example.com`, internalHost: `http://${name}:3000` } : { externalHost: `https://${name}.example.com` };
  return { ...hosts, ...app };
}

interface Snippet {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

function configSnippets(): Snippet[] {
  const snippets: Snippet[] = [];
  for (const file of FILES) {
    const text = readFileSync(new URL(file, ROOT), 'utf8');
    for (const match of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
      // A stream of several documents is a policy file or a proxy's configuration, not Portcullis's.
      const documents = parseAllDocuments(match[1] ?? '');
      if (!Array.isArray(documents) || documents.length !== 1) continue;
      const value: unknown = documents[0]?.toJS();
      const isConfig = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).every((key) => CONFIG_KEYS.has(key));
      if (isConfig) snippets.push({ file, line: text.slice(0, match.index).split('\n').length, text: match[1] ?? '' });
    }
  }
  return snippets;
}

/** Every `${NAME}` a snippet reads, with a value of the shape the name suggests. */
function environmentFor(text: string): Record<string, string> {
  const names = [...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1] ?? '');
  return Object.fromEntries(names.map((name) => [name, /HOST|URL|ISSUER/.test(name) ? 'https://value.example.com' : 'a-value-that-is-at-least-32-bytes-long!']));
}

const snippets = configSnippets();

describe('configuration shown in the documentation', () => {
  it('is found (README and docs hold some)', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(3);
  });

  it.each(snippets.map((s) => [`${s.file}:${s.line}`, s] as const))('%s validates', (_where, snippet) => {
    const value = parse(snippet.text) as Record<string, unknown>;
    const completed = { ...COMPLETION, ...value, ...(Array.isArray(value.applications) ? { applications: value.applications.map(completeApplication) } : {}) };
    expect(() => validateConfig(completed, { source: snippet.file, env: environmentFor(snippet.text), baseDir: '/etc/portcullis' })).not.toThrow();
  });
});
