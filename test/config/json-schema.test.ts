/**
 * The configuration's JSON Schema (issue 17): `portcullis schema` prints it, `npm run build`
 * writes it as portcullis.schema.json, and it accepts what the validator accepts (the demo, the
 * fixtures, every configuration in the docs) and refuses unknown keys and wrong kinds, checked
 * by a JSON Schema validator (Ajv, draft 2020-12).
 */

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { configJsonSchema } from '../../src/config/index.js';

const ROOT = new URL('../../', import.meta.url);
const schema = configJsonSchema();
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

function errorsOf(value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

describe('the configuration JSON Schema', () => {
  it('is what `portcullis schema` prints', () => {
    const out = spawnSync(process.execPath, [new URL('dist/cli.js', ROOT).pathname, 'schema'], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(schema);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it.each(['src/demo/portcullis.yaml', 'test/config/fixtures/minimal.yaml', 'test/config/fixtures/full.yaml'])('accepts %s as written, ${NAME} references included', (file) => {
    expect(errorsOf(parse(readFileSync(new URL(file, ROOT), 'utf8')))).toEqual([]);
  });

  it('accepts every configuration the README and docs show', () => {
    const files = ['README.md', ...readdirSync(new URL('docs/', ROOT)).filter((n) => n.endsWith('.md')).map((n) => `docs/${n}`)];
    const keys = new Set(Object.keys((schema.properties ?? {}) as object));
    let checked = 0;
    for (const file of files) {
      for (const match of readFileSync(new URL(file, ROOT), 'utf8').matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
        const documents = parseAllDocuments(match[1] ?? '');
        if (!Array.isArray(documents) || documents.length !== 1) continue;
        const value: unknown = documents[0]?.toJS();
        if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.keys(value).every((k) => keys.has(k))) continue;
        // Snippets leave out what does not matter to them (`# …`): the schema checks what is there.
        const apps = (value as { applications?: unknown[] }).applications;
        const complete = apps === undefined ? value : { ...value, applications: apps.map((a) => ({ externalHost: 'https://x.example.com', internalHost: 'http://x:1', ...(a as object) })) };
        expect(errorsOf(complete), `${file}`).toEqual([]);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['an unknown key', { listen: ':9000', colour: 'blue' }, ' must NOT have additional properties {"additionalProperty":"colour"}'],
    ['an unknown application key', { applications: [{ name: 'a', externalHost: 'https://a', internalHost: 'http://b', colour: 1 }] }, '/applications/0 must NOT have additional properties'],
    ['a mode that does not exist', { applications: [{ name: 'a', externalHost: 'https://a', mode: 'sideways' }] }, '/applications/0/mode'],
    ['a number where a boolean goes', { applications: [{ name: 'a', externalHost: 'https://a', preserveHost: 1 }] }, '/applications/0/preserveHost'],
    ['an application without a name', { applications: [{ externalHost: 'https://a' }] }, '/applications/0'],
    ['a list where a mapping goes', { identity: [] }, '/identity'],
  ])('refuses %s', (_what, value, where) => {
    const errors = errorsOf(value);
    expect(errors.some((error) => error.startsWith(where)), errors.join('\n')).toBe(true);
  });
});
