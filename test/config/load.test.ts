import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { PortcullisError, ValidationError } from '../../src/errors/index.js';
import { SECRET, errorOf, parseText } from './helpers.js';

const VALID = `
secret: "\${PORTCULLIS_SECRET}"
policiesDir: ./rules
identity: { issuer: "https://auth.example.com/", clientId: portcullis }
applications:
  - { name: app, externalHost: "https://app.example.com", internalHost: "http://127.0.0.1:3000" }
`;

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-config-'));
  await mkdir(join(dir, 'etc'));
  await writeFile(join(dir, 'etc', 'valid.yaml'), VALID);
  await writeFile(join(dir, 'etc', 'invalid.yaml'), 'secret: short\napplications: []\n');
  await writeFile(join(dir, 'etc', 'broken.yaml'), 'secret: x\nlog:\n  level: [info\nlisten: ":1"\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('loadConfig', () => {
  it('reads a file, resolving policiesDir from its folder whatever the working directory', async () => {
    const file = relative(process.cwd(), join(dir, 'etc', 'valid.yaml'));
    const config = await loadConfig(file, { PORTCULLIS_SECRET: SECRET });
    expect(config.source).toBe(join(dir, 'etc', 'valid.yaml'));
    expect(config.policiesDir).toBe(join(dir, 'etc', 'rules'));
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reports a missing file as unreadable', async () => {
    const error = await rejection(loadConfig(join(dir, 'missing.yaml'), {}));
    expect(error).toBeInstanceOf(PortcullisError);
    expect(error).toMatchObject({ code: 'PCL_CONFIG_UNREADABLE', message: `${join(dir, 'missing.yaml')}: cannot read the configuration file (no such file)` });
  });

  it('reports a folder as unreadable', async () => {
    const error = await rejection(loadConfig(join(dir, 'etc'), {}));
    expect(error).toMatchObject({ code: 'PCL_CONFIG_UNREADABLE', message: `${join(dir, 'etc')}: cannot read the configuration file (it is a directory)` });
  });

  it('reports a YAML syntax error with its file, line and column', async () => {
    const error = await rejection(loadConfig(join(dir, 'etc', 'broken.yaml'), {}));
    expect(error).toBeInstanceOf(PortcullisError);
    expect((error as PortcullisError).code).toBe('PCL_CONFIG_UNREADABLE');
    expect((error as PortcullisError).message).toMatch(new RegExp(`^${join(dir, 'etc', 'broken.yaml')}:4:1: invalid YAML: `));
  });

  it('reports every validation problem with the absolute file name', async () => {
    const error = await rejection(loadConfig(join(dir, 'etc', 'invalid.yaml'), {}));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      code: 'PCL_CONFIG_INVALID',
      source: join(dir, 'etc', 'invalid.yaml'),
      problems: [
        { path: 'secret', message: 'must be at least 32 bytes, got 5 bytes' },
        { path: 'applications', message: 'expected at least one application' },
      ],
    });
  });
});

describe('YAML errors', () => {
  it.each([
    ['an unclosed flow sequence', 'a: 1\nb: [1, 2\nc: 3\n', /^\/etc\/portcullis\/portcullis\.yaml:3:1: invalid YAML: .*must be sufficiently indented and end with a \]/],
    ['a duplicate key', 'listen: ":1"\nsecret: x\nlisten: ":2"\n', /^\/etc\/portcullis\/portcullis\.yaml:3:1: invalid YAML: Map keys must be unique/],
    ['several documents', 'listen: ":1"\n---\nlisten: ":2"\n', /:2:1: invalid YAML: Source contains multiple documents/],
    ['an unknown tag', 'secret: !vault x\n', /:1:9: invalid YAML: Unresolved tag: !vault/],
    ['an undefined alias', 'a: *nope\n', /invalid YAML: .*nope/],
    ['a bad indentation', 'identity:\n  issuer: x\n clientId: y\n', /:3:\d+: invalid YAML: /],
  ])('reports %s as unreadable, naming the line', (_what, text, message) => {
    const error = errorOf(() => parseText(text));
    expect(error).toBeInstanceOf(PortcullisError);
    expect(error).not.toBeInstanceOf(ValidationError);
    expect((error as PortcullisError).code).toBe('PCL_CONFIG_UNREADABLE');
    expect((error as PortcullisError).message).toMatch(message);
  });

  it('treats YAML 1.1 booleans as strings', () => {
    const error = errorOf(() => parseText(`${VALID}\nlog: { level: info }\nsessions: { store: yes }\n`, { PORTCULLIS_SECRET: SECRET }));
    expect(error).toMatchObject({ problems: [{ path: 'sessions.store', message: 'expected one of memory, redis, got "yes"' }] });
  });
});
