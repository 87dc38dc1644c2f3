/**
 * The forward-auth snippets of docs/forward-auth.md are the ones the tests run: each block marked
 * `<!-- snippet: test/forward/fixtures/… -->` must equal that fixture, and every fixture must be
 * quoted.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SNIPPETS, snippet, type SnippetName } from './snippets.js';

const README = readFileSync(fileURLToPath(new URL('../../docs/forward-auth.md', import.meta.url)), 'utf8');
const MARKED = /<!-- snippet: test\/forward\/fixtures\/([^ ]+) -->\n```[a-z]*\n([\s\S]*?)```\n/g;

function quoted(): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  for (const match of README.matchAll(MARKED)) {
    const [, file = '', text = ''] = match;
    blocks.set(file, [...(blocks.get(file) ?? []), text]);
  }
  return blocks;
}

describe('docs/forward-auth.md snippets', () => {
  it.each(Object.entries(SNIPPETS) as [SnippetName, string][])('quotes the %s snippet exactly once, unchanged', (name, file) => {
    expect(quoted().get(file)).toEqual([snippet(name)]);
  });

  it('quotes no snippet that is not a fixture', () => {
    expect([...quoted().keys()].sort()).toEqual(Object.values(SNIPPETS).sort());
  });

  it('are in the forward-auth document, which the README links', () => {
    expect(README.startsWith('# Forward auth\n')).toBe(true);
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    expect(readme).toContain('(docs/forward-auth.md)');
    expect(readme).not.toContain('<!-- snippet:');
  });
});
