/**
 * A gateway with several proxy-mode applications, one per host `<name>.test`, each binding its
 * own policies from a temporary `policiesDir`, in front of the dev IdP (users.yaml) and one echo
 * upstream. Requests are tagged, so a test can ask what the upstream received for exactly that
 * request, or that it received nothing.
 */

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startEchoUpstream, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { startDevIdp, type DevIdp } from '../../src/devidp/index.js';
import { receivedWithTag, TAG_HEADER, USERS_FILE, type Answer, type RawAnswer } from './auth-stack.js';
import { startGateway, type RunningGateway } from './gateway.js';
import { rawRequest } from './raw-http.js';

export interface PolicyApp {
  /** Application name; its host is `<name>.test`. */
  readonly name: string;
  readonly mode?: 'all' | 'any';
  /** Policy names; `!name` binds it negated. */
  readonly bindings?: readonly string[];
  /** More YAML lines for the application (e.g. `skipPathRegex: [...]`). */
  readonly extra?: string;
}

export interface PolicyStack {
  readonly idp: DevIdp;
  readonly echo: EchoUpstream;
  readonly gw: RunningGateway;
  /** The temporary policies folder (absolute). */
  readonly dir: string;
  /** Writes (or replaces in place) a policy file of the folder. */
  writePolicy(file: string, text: string): void;
  send(app: string, path: string, options?: { method?: string; headers?: Record<string, string> }): Promise<Answer>;
  /** Hand-written header lines over bare TCP; the request line is sent exactly as given. */
  raw(app: string, target: string, lines?: readonly string[]): Promise<RawAnswer>;
  close(): Promise<void>;
}

export function hostOf(app: string): string {
  return `${app}.test`;
}

/** A fresh folder holding `files` (name → YAML text). */
export function policyFolder(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-policies-'));
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export function gatewayYaml(options: { issuer: string; upstream: string; dir: string; apps: readonly PolicyApp[]; top?: string }): string {
  const apps = options.apps.map((app) => {
    const bindings = (app.bindings ?? []).map((binding) =>
      binding.startsWith('!') ? `          - { policy: ${binding.slice(1)}, negate: true }` : `          - { policy: ${binding} }`,
    );
    return [
      `  - name: ${app.name}`,
      `    externalHost: "http://${hostOf(app.name)}"`,
      `    internalHost: "${options.upstream}"`,
      '    policies:',
      `      mode: ${app.mode ?? 'all'}`,
      bindings.length === 0 ? '      bindings: []' : `      bindings:\n${bindings.join('\n')}`,
      ...(app.extra === undefined ? [] : app.extra.split('\n').map((line) => `    ${line}`)),
    ].join('\n');
  });
  return `
listen: "127.0.0.1:0"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
policiesDir: "${options.dir}"
${options.top ?? ''}
identity:
  issuer: "${options.issuer}"
  clientId: portcullis
  clientSecret: portcullis-dev-secret
applications:
${apps.join('\n')}
`;
}

export async function startPolicyStack(options: { files: Readonly<Record<string, string>>; apps: readonly PolicyApp[]; top?: string }): Promise<PolicyStack> {
  const dir = policyFolder(options.files);
  const idp = await startDevIdp({ users: USERS_FILE });
  const echo = await startEchoUpstream();
  let gw: RunningGateway;
  try {
    gw = await startGateway(gatewayYaml({ issuer: idp.issuer, upstream: echo.url, dir, apps: options.apps, ...(options.top ? { top: options.top } : {}) }));
  } catch (error) {
    await echo.close();
    await idp.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const deadline = Date.now() + 5000;
  while (!gw.gateway.idps.isReady() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    idp,
    echo,
    gw,
    dir,
    writePolicy(file, text) {
      writeFileSync(join(dir, file), text);
    },
    async send(app, path, { method = 'GET', headers = {} } = {}) {
      const tag = randomUUID();
      const started = performance.now();
      const res = await request(`${gw.url}${path}`, { method, headers: { host: hostOf(app), [TAG_HEADER]: tag, ...headers } });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text, upstream: receivedWithTag(echo, tag), ms: performance.now() - started };
    },
    async raw(app, target, lines = []) {
      const tag = randomUUID();
      const text = [`GET ${target} HTTP/1.1`, `Host: ${hostOf(app)}`, `${TAG_HEADER}: ${tag}`, ...lines, 'Connection: close', '', ''].join('\r\n');
      const response = await rawRequest(gw.port, text);
      return { ...response, upstream: receivedWithTag(echo, tag) };
    },
    async close() {
      await gw.close();
      await echo.close();
      await idp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
