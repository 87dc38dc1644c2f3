/**
 * `additionalHeaders`: static headers every upstream request of an application carries. They
 * arrive once, whatever the client sent under the same name; a configuration that tries to set
 * a header Portcullis manages (framing, credentials, identity) is refused at load, naming the
 * dotted key.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoRequest } from '../../src/demo/echo-upstream.js';
import { parseConfig } from '../../src/config/index.js';
import { isPortcullisError, ValidationError } from '../../src/errors/index.js';
import { basic, PASSWORDS, startAuthStack, type AuthStack, type GatewayUnderTest } from '../support/auth-stack.js';
import { TEST_SECRET } from '../support/gateway.js';
import { fieldValues, onlyValue } from '../support/upstream-view.js';

const ALICE = basic('alice', PASSWORDS.alice.cli);

let stack: AuthStack;
let skipping: GatewayUnderTest;

beforeAll(async () => {
  const headers = 'additionalHeaders: { X-Static: "static value", X-Api-Key: "k-123;=,", X-Empty: "" }';
  stack = await startAuthStack({ app: headers });
  skipping = await stack.gateway({ app: `${headers}\nskipPathRegex: ["^/public/"]` });
});
afterAll(async () => {
  await stack?.close();
});

function received(seen: EchoRequest | undefined): EchoRequest {
  expect(seen, 'the upstream was not contacted').toBeDefined();
  return seen as EchoRequest;
}

describe('static headers', () => {
  it('arrive once each, with their configured values', async () => {
    const res = await stack.get('/', { authorization: ALICE });
    expect(res.status).toBe(200);
    const seen = received(res.upstream);
    expect(onlyValue(seen, 'x-static')).toBe('static value');
    expect(onlyValue(seen, 'x-api-key')).toBe('k-123;=,');
    expect(fieldValues(seen, 'x-empty')).toEqual(['']);
    expect(onlyValue(seen, 'x-authentik-username')).toBe('alice');
  });

  it('replace whatever the client sent under the same name, in any case', async () => {
    const res = await stack.raw('/', [`Authorization: ${ALICE}`, 'X-Static: spoof', 'x-STATIC: spoof', 'X-Api-Key: stolen']);
    expect(res.status).toBe(200);
    const seen = received(res.upstream);
    expect(fieldValues(seen, 'x-static')).toEqual(['static value']);
    expect(fieldValues(seen, 'x-api-key')).toEqual(['k-123;=,']);
  });

  it('arrive on skip paths too', async () => {
    const res = await skipping.get('/public/x');
    expect(res.status).toBe(200);
    expect(onlyValue(received(res.upstream), 'x-static')).toBe('static value');
  });

  it('never reach anyone without a decision to allow', async () => {
    const res = await stack.get('/', { 'x-authentik-no-redirect': '1' });
    expect(res.status).toBe(401);
    expect(res.upstream).toBeUndefined();
    expect(res.text).not.toContain('k-123');
  });
});

describe('headers Portcullis manages cannot be configured', () => {
  function configWith(headers: string): string {
    return `
listen: "127.0.0.1:0"
secret: "\${PORTCULLIS_SECRET}"
identity: { issuer: "http://127.0.0.1:9", clientId: c }
applications:
  - name: app
    externalHost: "http://app.test"
    internalHost: "http://127.0.0.1:3000"
  - name: other
    externalHost: "http://other.test"
    internalHost: "http://127.0.0.1:3000"
    additionalHeaders:
${headers.replace(/^/gm, '      ')}
`;
  }

  function problemsOf(headers: string): { path: string; message: string }[] {
    try {
      parseConfig(configWith(headers), { source: 'test.yaml', env: { PORTCULLIS_SECRET: TEST_SECRET }, baseDir: process.cwd() });
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect(isPortcullisError(error, 'PCL_CONFIG_INVALID')).toBe(true);
      return [...(error as ValidationError).problems];
    }
    throw new Error('the configuration was accepted');
  }

  const MANAGED = ['Host', 'Authorization', 'Content-Length', 'Transfer-Encoding', 'Connection', 'host', 'AUTHORIZATION', 'transfer-encoding', 'Keep-Alive', 'Upgrade', 'Expect', 'TE', 'X-Forwarded-For', 'X-Real-IP', 'Forwarded'];
  const IDENTITY = ['X-authentik-username', 'X-Authentik-Groups', 'x-authentik-jwt', 'X-AUTHENTIK-META-APP', 'x-authentik-anything'];

  for (const name of [...MANAGED, ...IDENTITY]) {
    it(`refuses ${name}, naming applications[1].additionalHeaders.${name}`, () => {
      const problems = problemsOf(`${name}: "value"`);
      expect(problems).toEqual([{ path: `applications[1].additionalHeaders.${name}`, message: expect.stringContaining(`"${name}" cannot be set`) }]);
    });
  }

  it('refuses an identity header spelled with "_"', () => {
    const problems = problemsOf('X_Authentik_Username: "alice"');
    expect(problems.map((p) => p.path)).toEqual(['applications[1].additionalHeaders.X_Authentik_Username']);
  });

  it('reports every refused header at once', () => {
    const problems = problemsOf(['Host: a', 'Connection: close', 'X-Authentik-Email: e', 'X-Fine: ok'].join('\n'));
    expect(problems.map((p) => p.path)).toEqual([
      'applications[1].additionalHeaders.Host',
      'applications[1].additionalHeaders.Connection',
      'applications[1].additionalHeaders.X-Authentik-Email',
    ]);
  });

  it('refuses a value that would split the header line, without echoing it', () => {
    const problems = problemsOf('X-Token: "secret\\r\\nX-Injected: 1"');
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('applications[1].additionalHeaders.X-Token');
    expect(JSON.stringify(problems)).not.toContain('secret');
  });

  it('accepts an ordinary header', () => {
    const config = parseConfig(configWith('X-Fine: ok'), { source: 'test.yaml', env: { PORTCULLIS_SECRET: TEST_SECRET }, baseDir: process.cwd() });
    expect(config.applications[1]?.additionalHeaders).toEqual({ 'X-Fine': 'ok' });
  });
});
