import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startEchoUpstream, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { TEST_SECRET } from '../support/gateway.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const GOOD = `
listen: "127.0.0.1:0"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
identity: { issuer: "http://127.0.0.1:9", clientId: c }
applications:
  - name: app
    externalHost: "http://app.test"
    internalHost: "\${UPSTREAM:-http://127.0.0.1:3000}"
    skipPathRegex: ["^/"]
`;

describe('portcullis command line', () => {
  it('lists its commands with --help', () => {
    const out = cli(['--help']);
    expect(out.status).toBe(0);
    for (const command of ['run', 'check-config', 'dev-idp', 'demo']) {
      expect(out.stdout).toContain(command);
    }
  });

  it('rejects an unknown command with exit code 2', () => {
    const out = cli(['frobnicate']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('unknown command "frobnicate"');
  });

  it('check-config prints ok for a valid file', () => {
    const out = cli(['check-config', '--config', writeConfig('good.yaml', GOOD)], { PORTCULLIS_SECRET: TEST_SECRET });
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe('ok\n');
    expect(out.status).toBe(0);
  });

  it('check-config prints every problem with its dotted path and exits 2', () => {
    const bad = GOOD.replace('"http://app.test"', '"app.test"').replace('name: app', 'name: app\n    mode: sideways');
    const out = cli(['check-config', '--config', writeConfig('bad.yaml', bad)], { PORTCULLIS_SECRET: 'short' });
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('secret:');
    expect(out.stderr).toContain('applications[0].externalHost:');
    expect(out.stderr).toContain('applications[0].mode:');
    expect(out.stderr).not.toContain('    at ');
  });

  it('check-config names a missing file without a stack trace', () => {
    const out = cli(['check-config', '--config', join(dir, 'nope.yaml')]);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('nope.yaml');
    expect(out.stderr).not.toContain('    at ');
  });
});

describe('portcullis run', () => {
  let echo: EchoUpstream;
  beforeAll(async () => {
    echo = await startEchoUpstream();
  });
  afterAll(async () => {
    await echo?.close();
  });

  it('drains in-flight requests on SIGTERM and exits 0', async () => {
    const file = writeConfig('run.yaml', GOOD.replace('"127.0.0.1:0"', '"127.0.0.1:0"'));
    const child = spawn(process.execPath, [CLI, 'run', '--config', file], {
      env: { ...process.env, PORTCULLIS_SECRET: TEST_SECRET, UPSTREAM: echo.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line: ${stdout}`)), 10_000);
      child.stdout.on('data', () => {
        const match = /"gateway":"(http:\/\/[^"]+)"/.exec(stdout);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const inFlight = request(`${url}/slow?ms=700`, { headers: { host: 'app.test' } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(await res.body.text())).toMatchObject({ url: '/slow?ms=700' });
    expect(await exited).toBe(0);
    expect(stdout).toContain('draining in-flight requests');
  });
});

describe('portcullis dev-idp', () => {
  it('serves discovery on loopback and stops on SIGTERM', async () => {
    const users = new URL('../support/users.yaml', import.meta.url).pathname;
    const child = spawn(process.execPath, [CLI, 'dev-idp', '--users', users, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const issuer = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no issuer line: ${stdout}`)), 10_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const match = /issuer (http:\/\/\S+)/.exec(stdout);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const res = await request(`${issuer}/.well-known/openid-configuration`);
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { issuer: string }).issuer).toBe(issuer);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses to run without a users file', () => {
    const out = cli(['dev-idp']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('--users');
  });
});

describe('portcullis check-config --connect', () => {
  it('describes every application and checks that its IdP and upstream answer', async () => {
    const { startDevIdp } = await import('../../src/devidp/index.js');
    const users = new URL('../support/users.yaml', import.meta.url).pathname;
    const idp = await startDevIdp({ users });
    const echo = await startEchoUpstream();
    try {
      const text = `
listen: "127.0.0.1:0"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
identity: { issuer: "${idp.issuer}", clientId: portcullis, clientSecret: portcullis-dev-secret }
applications:
  - name: good
    externalHost: "http://good.test"
    internalHost: "${echo.url}"
  - name: dead
    externalHost: "http://dead.test"
    internalHost: "http://127.0.0.1:9"
`;
      const file = writeConfig('connect.yaml', text);
      const run = () =>
        new Promise<{ code: number | null; stdout: string }>((resolvePromise) => {
          const child = spawn(process.execPath, [CLI, 'check-config', '--connect', '--config', file], {
            env: { ...process.env, PORTCULLIS_SECRET: TEST_SECRET },
          });
          let stdout = '';
          child.stdout.on('data', (d: Buffer) => {
            stdout += d.toString();
          });
          child.on('exit', (code) => resolvePromise({ code, stdout }));
        });
      const out = await run();
      expect(out.stdout.startsWith('ok\n')).toBe(true);
      expect(out.stdout).toContain('good: proxy, http://good.test -> ');
      expect(out.stdout).toContain(`identity provider ${idp.issuer}: discovered`);
      expect(out.stdout).toMatch(/upstream http:\/\/127\.0\.0\.1:\d+: answers \(HTTP 200\)/);
      expect(out.stdout).toContain('upstream http://127.0.0.1:9: NOT REACHABLE');
      expect(out.code).toBe(1);
    } finally {
      await echo.close();
      await idp.close();
    }
  });
});

describe('portcullis run and SIGHUP', () => {
  it('applies a new log level and a new application on SIGHUP without a restart, and keeps serving', async () => {
    const echo = await startEchoUpstream();
    const file = writeConfig('hup.yaml', GOOD);
    const child = spawn(process.execPath, [CLI, 'run', '--config', file], {
      env: { ...process.env, PORTCULLIS_SECRET: TEST_SECRET, UPSTREAM: echo.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const waitFor = (pattern: RegExp) =>
      new Promise<RegExpExecArray>((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error(`never saw ${pattern}: ${stdout}`)), 10_000);
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) {
            clearTimeout(timer);
            child.stdout.off('data', check);
            resolvePromise(match);
          }
        };
        child.stdout.on('data', check);
        check();
      });
    try {
      const url = (await waitFor(/"gateway":"(http:\/\/[^"]+)"/))[1] as string;
      await waitFor(/"msg":"serving application"/);
      const first = await request(`${url}/one`, { headers: { host: 'app.test' } });
      await first.body.text();
      await waitFor(/"path":"\/one"/);
      // One application serves every Host; two route by Host, and a third name is unknown.
      const before = await request(`${url}/x`, { headers: { host: 'other.test' } });
      await before.body.text();
      expect(before.statusCode).toBe(200);
      const added = `  - name: other\n    externalHost: "http://other.test"\n    internalHost: "${echo.url}"\n    skipPathRegex: ["^/"]\n`;
      writeConfig('hup.yaml', `${GOOD}${added}\nlog: { level: warn }\n`);
      child.kill('SIGHUP');
      await waitFor(/"msg":"configuration reloaded"/);
      const other = await request(`${url}/x`, { headers: { host: 'other.test' } });
      expect(other.statusCode).toBe(200);
      expect(JSON.parse(await other.body.text())).toMatchObject({ url: '/x' });
      const unknown = await request(`${url}/x`, { headers: { host: 'third.test' } });
      await unknown.body.text();
      expect(unknown.statusCode).toBe(400);
      const second = await request(`${url}/two`, { headers: { host: 'app.test' } });
      expect(second.statusCode).toBe(200);
      await second.body.text();
      await new Promise((r) => setTimeout(r, 300));
      expect(stdout).not.toContain('"path":"/two"');
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await echo.close();
    }
  });
});
