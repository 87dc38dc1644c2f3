/**
 * The Proxy-Authorization mode with the clients people point at a proxy (issue 15): curl `-x`
 * (Basic, `--proxy-anyauth`'s challenge and retry), Python `requests` with `proxies=`, `git`
 * with `http.proxy` against a smart-HTTP upstream, and Chromium with a proxy server. They send
 * absolute-form targets (RFC 9112 §3.2.2). Proxy credentials never reach the upstream, the
 * app's own Authorization passes untouched, and a host that is no application is never reached.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PASSWORDS, startAuthStack, type AuthStack } from '../support/auth-stack.js';
import { proxyConfig, startGateway, type RunningGateway } from '../support/gateway.js';
import { bareRepository, GIT, startGitHttpServer, type GitHttpServer } from '../support/git-http-server.js';
import { CHROMIUM_PATH, describeNeeding, executableProblem } from '../support/real-parts.js';

const run = promisify(execFile);
const CURL = '/usr/bin/curl';
const PYTHON = '/usr/bin/python3';
const PROXY_MODE = 'headerAuth: { header: proxy-authorization }';
const ALICE = `alice:${PASSWORDS.alice.cli}`;

const problems = await Promise.all([CURL, PYTHON, GIT, CHROMIUM_PATH].map((path) => executableProblem(path)));
const pythonRequests = problems[1] === null ? await run(PYTHON, ['-c', 'import requests']).then(() => null, () => `${PYTHON} has no requests module (Debian: python3-requests)`) : problems[1];
const missing = [...problems, pythonRequests].find((problem) => problem !== null) ?? null;

describeNeeding('curl, python3-requests, git and Chromium', missing, 'real proxy clients against the Proxy-Authorization mode', () => {
  let stack: AuthStack;
  let proxy: string;
  let git: GitHttpServer;
  let gitGateway: RunningGateway;

  beforeAll(async () => {
    stack = await startAuthStack({ app: PROXY_MODE });
    proxy = stack.gw.url;
    git = await startGitHttpServer(bareRepository('project', 'hello through the proxy\n'));
    // The same application in front of the git server.
    gitGateway = await startGateway(proxyConfig({ upstream: git.url, issuer: stack.idp.issuer, extra: PROXY_MODE }));
  });
  afterAll(async () => {
    await gitGateway?.close();
    await git?.close();
    await stack?.close();
  });

  async function curl(...args: string[]): Promise<{ status: number; body: string; verbose: string }> {
    // curl exits non-zero when a tunnel is refused; its output still tells what happened.
    const { stdout, stderr } = await run(CURL, ['-sS', '-v', '-o', '-', '-w', '\n%{http_code}', ...args]).catch(
      (error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
    );
    const at = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at), verbose: stderr };
  }

  it('curl -x --proxy-user: 200, the identity upstream, no proxy credential there', async () => {
    const res = await curl('-x', proxy, '--proxy-user', ALICE, 'http://app.test/private');
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/private');
    expect(seen.headers['x-authentik-username']).toBe('alice');
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(seen.headers['x-forwarded-host']).toBe('app.test');
  });

  it('curl --proxy-basic with the app\'s own credentials: the two realms stay apart', async () => {
    const res = await curl('-x', proxy, '--proxy-basic', '--proxy-user', ALICE, '-u', 'appuser:app-secret', 'http://app.test/api');
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as { headers: Record<string, string> };
    expect(seen.headers.authorization).toBe(`Basic ${Buffer.from('appuser:app-secret').toString('base64')}`);
    expect(seen.headers['x-authentik-username']).toBe('alice');
  });

  it('curl --proxy-anyauth: a 407 with the challenges, then the retry with Basic passes', async () => {
    const res = await curl('-x', proxy, '--proxy-anyauth', '--proxy-user', ALICE, 'http://app.test/anyauth');
    expect(res.status).toBe(200);
    expect(res.verbose).toMatch(/< HTTP\/1\.1 407/);
    expect(res.verbose).toMatch(/< proxy-authenticate: Basic realm="app", charset="UTF-8"/i);
  });

  it('curl -x without credentials, as a browser would ask: 407, not a login page', async () => {
    const res = await curl('-x', proxy, '-H', 'Accept: text/html', 'http://app.test/page');
    expect(res.status).toBe(407);
  });

  it('curl -x to a host that is no application: refused, never forwarded; CONNECT: 405', async () => {
    const before = stack.echo.received.length;
    const other = await curl('-x', proxy, '--proxy-user', ALICE, 'http://example.org/');
    expect(other.status).toBe(403);
    expect(JSON.parse(other.body)).toMatchObject({ error: 'not_an_application' });
    const port = await curl('-x', proxy, '--proxy-user', ALICE, 'http://app.test:8080/private');
    expect(port.status).toBe(403);
    const tunnel = await curl('-x', proxy, '--proxy-user', ALICE, '-p', 'http://app.test/');
    expect(tunnel.verbose).toMatch(/< HTTP\/1\.1 405/);
    expect(stack.echo.received.length).toBe(before);
  });

  it('Python requests with proxies=: 200 with the identity, and 407 with a wrong password', async () => {
    const script = `
import requests, sys, json
proxies = {"http": sys.argv[1]}
r = requests.get("http://app.test/from-python", proxies=proxies, timeout=10)
print(json.dumps({"status": r.status_code, "body": r.text}))
`;
    const good = await run(PYTHON, ['-c', script, proxy.replace('http://', `http://${ALICE}@`)]);
    const answer = JSON.parse(good.stdout) as { status: number; body: string };
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ url: '/from-python', headers: { 'x-authentik-username': 'alice' } });
    const bad = await run(PYTHON, ['-c', script, proxy.replace('http://', 'http://alice:wrong@')]);
    expect((JSON.parse(bad.stdout) as { status: number }).status).toBe(407);
  });

  it('git clone with http.proxy through the proxy, against a smart-HTTP upstream', async () => {
    const into = join(mkdtempSync(join(tmpdir(), 'portcullis-clone-')), 'project');
    const gitProxy = gitGateway.url.replace('http://', `http://${ALICE}@`);
    await run(GIT, ['-c', `http.proxy=${gitProxy}`, 'clone', '-q', 'http://app.test/project.git', into], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0', HOME: tmpdir() } });
    expect(readFileSync(join(into, 'README'), 'utf8')).toBe('hello through the proxy\n');
    expect(git.received.length).toBeGreaterThan(0);
    for (const headers of git.received) {
      expect(headers['proxy-authorization']).toBeUndefined();
      expect(headers['x-authentik-username']).toBe('alice');
    }
  });

  it('Chromium with a proxy server and its credentials: the page comes from the application', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--no-sandbox'],
      proxy: { server: proxy, username: 'alice', password: PASSWORDS.alice.cli },
    });
    try {
      const page = await browser.newPage();
      const response = await page.goto('http://app.test/in-chromium');
      expect(response?.status()).toBe(200);
      const seen = JSON.parse(await page.innerText('body')) as { url: string; headers: Record<string, string> };
      expect(seen.url).toBe('/in-chromium');
      expect(seen.headers['x-authentik-username']).toBe('alice');
      expect(seen.headers['proxy-authorization']).toBeUndefined();
    } finally {
      await browser.close();
    }
  });
});
