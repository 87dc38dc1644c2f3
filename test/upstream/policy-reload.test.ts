/**
 * Policy files change under a running gateway (DESIGN.md §7): an edit is picked up without a
 * restart, a bad edit keeps the last good set deciding, and a bad file at start-up stops the
 * gateway (and `portcullis check-config`) with an error naming the file and the key.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortcullisError, ValidationError } from '../../src/errors/index.js';
import { basic, PASSWORDS, type Answer } from '../support/auth-stack.js';
import { startGateway, TEST_SECRET } from '../support/gateway.js';
import { gatewayYaml, policyFolder, startPolicyStack, type PolicyStack } from '../support/policy-stack.js';
import { pollUntil } from '../support/wait.js';

const BOB = basic('bob', PASSWORDS.bob.cli);
const ALICE = basic('alice', PASSWORDS.alice.cli);
const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

const GATE_ADMINS = 'name: gate\nkind: group\ngroups: [admins]\n';
const GATE_STAFF = 'name: gate\nkind: group\ngroups: [staff]\n';

function bobAt(stack: PolicyStack): Promise<Answer> {
  return stack.send('gated', '/', { headers: { authorization: BOB } });
}

async function expectDecision(stack: PolicyStack, credentials: string, status: 200 | 403): Promise<void> {
  const res = await stack.send('gated', '/', { headers: { authorization: credentials } });
  expect(res.status).toBe(status);
  if (status === 200) {
    expect(res.upstream?.headers['x-authentik-username']).toBeDefined();
  } else {
    expect(res.upstream).toBeUndefined();
  }
}

/** Waits until bob's answer is `status`, at most 2 s after the change; returns how long it took. */
async function flipsTo(stack: PolicyStack, status: number): Promise<number> {
  const started = Date.now();
  await pollUntil(`bob gets ${status}`, async () => (await bobAt(stack)).status === status, { timeoutMs: 2000, intervalMs: 25 });
  return Date.now() - started;
}

/** Waits until the gateway logged that a change was refused (one more than `before`). */
async function refusalLogged(stack: PolicyStack, before: number): Promise<string> {
  let problems = '';
  await pollUntil(
    'the refused policy change is logged',
    () => {
      const refused = stack.gw.logs().filter((line) => String(line['msg']).startsWith('policy change refused'));
      problems = String(refused.at(-1)?.['problems'] ?? '');
      return refused.length > before;
    },
    { timeoutMs: 2000, intervalMs: 25 },
  );
  return problems;
}

function count(stack: PolicyStack, message: string): number {
  return stack.gw.logs().filter((line) => String(line['msg']).startsWith(message)).length;
}

function refusals(stack: PolicyStack): number {
  return count(stack, 'policy change refused');
}

describe('reloading while running', () => {
  let stack: PolicyStack;

  beforeAll(async () => {
    stack = await startPolicyStack({ files: { 'gate.yaml': GATE_ADMINS, 'other.yaml': 'name: spare\nkind: group\ngroups: [x]\n' }, apps: [{ name: 'gated', bindings: ['gate'] }] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('an edit in place flips the decision within 2 s, without a restart', async () => {
    await expectDecision(stack, BOB, 403);
    stack.writePolicy('gate.yaml', GATE_STAFF);
    const ms = await flipsTo(stack, 200);
    expect(ms).toBeLessThanOrEqual(2000);
    await expectDecision(stack, BOB, 200);
  });

  it('a file renamed over the old one flips it back', async () => {
    writeFileSync(join(stack.dir, '.gate.yaml.tmp'), GATE_ADMINS);
    renameSync(join(stack.dir, '.gate.yaml.tmp'), join(stack.dir, 'gate.yaml'));
    await flipsTo(stack, 403);
    await expectDecision(stack, ALICE, 200);
  });

  it('a broken file keeps the last good set deciding, and the refusal names the file and key', async () => {
    await expectDecision(stack, BOB, 403);
    const before = refusals(stack);
    // Would allow bob if it were loaded; the unknown key makes the whole change invalid.
    stack.writePolicy('gate.yaml', 'name: gate\nkind: group\ngroups: [staff]\ncidrs: ["10.0.0.0/8"]\n');
    const problems = await refusalLogged(stack, before);
    expect(problems).toContain('gate.yaml');
    expect(problems).toContain('cidrs');
    await expectDecision(stack, BOB, 403);
    await expectDecision(stack, ALICE, 200);
  });

  it('invalid YAML in another file is refused too, the last good set still deciding', async () => {
    const before = refusals(stack);
    stack.writePolicy('other.yaml', 'name: spare\nkind: group\ngroups: [x\n');
    const problems = await refusalLogged(stack, before);
    expect(problems).toContain('other.yaml');
    await expectDecision(stack, BOB, 403);
    await expectDecision(stack, ALICE, 200);
  });

  it('removing the bound policy is refused: the binding would point nowhere', async () => {
    const reloaded = count(stack, 'policies reloaded');
    stack.writePolicy('other.yaml', 'name: spare\nkind: group\ngroups: [x]\n');
    stack.writePolicy('gate.yaml', GATE_ADMINS);
    await pollUntil('the repaired files are loaded', () => count(stack, 'policies reloaded') > reloaded, { timeoutMs: 2000, intervalMs: 25 });
    const before = refusals(stack);
    rmSync(join(stack.dir, 'gate.yaml'));
    const problems = await refusalLogged(stack, before);
    expect(problems).toContain('gate');
    await expectDecision(stack, BOB, 403);
    await expectDecision(stack, ALICE, 200);
  });

  it('fixing the files is picked up again', async () => {
    stack.writePolicy('gate.yaml', GATE_STAFF);
    await flipsTo(stack, 200);
  });
});

describe('a broken policy file at start-up', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function startFails(files: Record<string, string>, bindings: string[]): Promise<ValidationError> {
    const dir = policyFolder(files);
    dirs.push(dir);
    const yaml = gatewayYaml({ issuer: 'http://127.0.0.1:9/unreachable', upstream: 'http://127.0.0.1:9', dir, apps: [{ name: 'gated', bindings }] });
    const error = await startGateway(yaml).then(
      async (gw) => {
        await gw.close();
        throw new Error('the gateway started with a broken policy file');
      },
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }

  it('stops the gateway with a ValidationError naming the file and the key', async () => {
    const error = await startFails({ 'good.yaml': GATE_ADMINS, 'broken.yaml': 'name: oops\nkind: group\ngroups: staff\n' }, ['gate']);
    expect(isPortcullisError(error, 'PCL_POLICY_INVALID')).toBe(true);
    expect(error.problems).toEqual([{ path: expect.stringMatching(/\/broken\.yaml: groups$/), message: expect.any(String) }]);
  });

  it('names the document of a multi-document file', async () => {
    const error = await startFails({ 'many.yaml': `${GATE_ADMINS}---\nname: second\nkind: network\ncidrs: ["10.1.2.3/8"]\n` }, ['gate']);
    expect(error.problems.map((p) => p.path)).toEqual([expect.stringMatching(/\/many\.yaml: \[1\]\.cidrs\[0\]$/)]);
  });

  it('names the configuration key of a binding to a policy no file defines', async () => {
    const error = await startFails({ 'good.yaml': GATE_ADMINS }, ['gate', 'missing-policy']);
    expect(isPortcullisError(error, 'PCL_POLICY_BINDING_UNKNOWN')).toBe(true);
    expect(error.problems.map((p) => p.path)).toEqual(['applications[0].policies.bindings[1].policy']);
    expect(error.problems[0]?.message).toContain('missing-policy');
  });
});

describe('portcullis check-config', () => {
  const dir = policyFolder({});
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function checkConfig(policies: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
    const policiesDir = join(dir, 'policies');
    rmSync(policiesDir, { recursive: true, force: true });
    mkdirSync(policiesDir);
    for (const [name, text] of Object.entries(policies)) writeFileSync(join(policiesDir, name), text);
    const config = join(dir, 'portcullis.yaml');
    // A relative policiesDir resolves from the configuration file's folder, not the working directory.
    writeFileSync(config, gatewayYaml({ issuer: 'http://127.0.0.1:9', upstream: 'http://127.0.0.1:9', dir: './policies', apps: [{ name: 'gated', bindings: ['gate'] }] }));
    const out = spawnSync(process.execPath, [CLI, 'check-config', '--config', config], {
      encoding: 'utf8',
      cwd: '/',
      env: { ...process.env, PORTCULLIS_SECRET: TEST_SECRET },
    });
    return { status: out.status, stdout: out.stdout, stderr: out.stderr };
  }

  it('prints ok for good policies', () => {
    const out = checkConfig({ 'gate.yaml': GATE_ADMINS });
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe('ok\n');
    expect(out.status).toBe(0);
  });

  it('exits 2 naming the broken file and key', () => {
    const out = checkConfig({ 'gate.yaml': GATE_ADMINS, 'broken.yaml': 'name: oops\nkind: group\ngroups: staff\n' });
    expect(out.status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/policies\/broken\.yaml: groups: /);
  });

  it('exits 2 naming the binding to a missing policy', () => {
    const out = checkConfig({ 'other.yaml': 'name: spare\nkind: group\ngroups: [x]\n' });
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('applications[0].policies.bindings[0].policy');
    expect(out.stderr).toContain('"gate"');
  });
});
