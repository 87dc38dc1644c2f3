import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReferenceMarkdown } from '../../src/config/index.js';

const START = '<!-- config-reference:start -->\n';
const END = '<!-- config-reference:end -->';

function readmeBlock(): string {
  const readme = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return readme.slice(start + START.length, end);
}

describe('configuration reference', () => {
  it('in docs/configuration.md is exactly what the schema renders (regenerate it from configReferenceMarkdown())', () => {
    expect(readmeBlock()).toBe(configReferenceMarkdown());
  });

  it.each([
    ['listen', '`"0.0.0.0:9000"`'],
    ['metricsListen', '`"127.0.0.1:9300"`'],
    ['secret', '**required**'],
    ['sessions.lifetime', '`"24h"`'],
    ['timeouts.upstreamResponse', '`"60s"`'],
    ['identity.scopes', '`["openid", "profile", "email", "ak_proxy"]`'],
    ['applications[].name', '**required**'],
    ['applications[].headerAuth.header', '`"authorization"`'],
    ['applications[].policies.bindings[].negate', '`false`'],
  ])('lists %s with its default', (key, defaultCell) => {
    const row = configReferenceMarkdown()
      .split('\n')
      .find((line) => line.startsWith(`| \`${key}\` |`));
    expect(row?.split(' | ')[2]).toBe(defaultCell);
  });
});
