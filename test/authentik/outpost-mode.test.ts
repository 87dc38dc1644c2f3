/**
 * Portcullis configured by authentik's API (DESIGN.md §4a, issue 13), against the dev IdP's
 * mimic of authentik's outpost API and websocket over real HTTP and a real websocket.
 */

import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { OUTPOST_INSTRUCTION } from '../../src/devidp/index.js';
import { VERSION } from '../../src/version.js';
import { accessTokenFor, bearer, CLIENTS, receivedWithTag, TAG_HEADER } from '../support/auth-stack.js';
import { HttpBrowser } from '../support/http-browser.js';
import { eventually, OUTPOST_NAME, OUTPOST_TOKEN, startOutpostStack, type OutpostStack, type RunningOutpost } from '../support/outpost-stack.js';

let stack: OutpostStack;
let outpost: RunningOutpost | undefined;

beforeAll(async () => {
  stack = await startOutpostStack();
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.idp.clearFaults();
  stack.idp.outpost.refuseToken(false);
  stack.idp.outpost.resetRecords();
});
afterEach(async () => {
  await outpost?.close();
  outpost = undefined;
});

async function started(options: Parameters<OutpostStack['start']>[0] = {}): Promise<RunningOutpost> {
  outpost = await stack.start(options);
  return outpost;
}

async function ready(running: RunningOutpost): Promise<boolean> {
  const res = await request(`${running.urls.health}/readyz`);
  await res.body.dump();
  return res.statusCode === 200;
}

async function configured(running: RunningOutpost): Promise<void> {
  await eventually(() => ready(running), 8_000, 'readiness');
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly upstream: ReturnType<typeof receivedWithTag>;
}

async function get(slug: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const tag = crypto.randomUUID();
  const res = await request(`http://127.0.0.1:${stack.port}${path}`, {
    headers: { host: `${slug}.localhost:${stack.port}`, [TAG_HEADER]: tag, 'x-authentik-no-redirect': '1', ...headers },
  });
  await res.body.dump();
  return { status: res.statusCode, headers: res.headers, upstream: receivedWithTag(stack.echo, tag) };
}

describe('start-up', () => {
  it('fetches the outpost and every provider with the outpost token and authentik\'s User-Agent, then reports ready', async () => {
    const running = await started();
    await configured(running);
    const calls = stack.idp.outpost.apiCalls();
    expect(calls.map((call) => call.path)).toEqual(expect.arrayContaining(['/api/v3/outposts/instances/', '/api/v3/outposts/proxy/']));
    expect(calls.find((call) => call.path === '/api/v3/outposts/proxy/')?.query).toMatchObject({ page: '1', page_size: '100' });
    for (const call of calls) {
      expect(call.tokenOk).toBe(true);
      expect(call.userAgent).toBe(`goauthentik.io/outpost/${VERSION}`);
    }
    expect(JSON.stringify(running.logs())).not.toContain(OUTPOST_TOKEN);
    expect(JSON.stringify(running.logs())).not.toContain(CLIENTS.other.secret);
  });

  it('retries every few seconds while the API is down: not ready, nothing served, then serves once it answers', async () => {
    stack.idp.outpost.failApi(503);
    const running = await started({ retryMs: 300 });
    await eventually(() => stack.idp.outpost.apiCalls().length >= 2, 3_000, 'two attempts');
    expect(await ready(running)).toBe(false);
    const early = await get('app', '/public/x');
    expect(early.status).toBe(503);
    expect(early.headers['retry-after']).toBeDefined();
    expect(early.upstream).toBeUndefined();
    expect(running.logs().some((line) => String(line.msg).includes("authentik's API could not be reached; retrying"))).toBe(true);
    stack.idp.outpost.failApi(null);
    await configured(running);
    expect((await get('app', '/public/x')).status).toBe(200);
  });

  it('says when the token is refused, keeps trying, and serves nothing from it', async () => {
    stack.idp.outpost.refuseToken(true);
    const running = await started({ retryMs: 200 });
    await eventually(() => running.logs().some((line) => String(line.msg).startsWith('authentik refused the outpost token')), 3_000, 'the refusal log');
    expect(await ready(running)).toBe(false);
    expect((await get('app', '/public/x')).status).toBe(503);
    stack.idp.outpost.refuseToken(false);
    await configured(running);
  });
});

describe('providers as applications', () => {
  it('serves two providers with different clients side by side, with authentik\'s meta headers', async () => {
    const running = await started();
    await configured(running);
    for (const [slug, client, provider] of [
      ['app', CLIENTS.portcullis, 'app-provider'],
      ['other', CLIENTS.other, 'other-provider'],
    ] as const) {
      const answer = await get(slug, '/x', { authorization: bearer(await accessTokenFor(stack.idp, 'alice', client)) });
      expect(answer.status).toBe(200);
      expect(answer.upstream?.headers).toMatchObject({
        'x-authentik-username': 'alice',
        'x-authentik-meta-outpost': OUTPOST_NAME,
        'x-authentik-meta-provider': provider,
        'x-authentik-meta-app': slug,
        'x-authentik-meta-version': `goauthentik.io/outpost/${VERSION}`,
      });
      expect(answer.upstream?.headers.authorization).toBeUndefined();
    }
    // A token of one provider's client is no credential for the other's application.
    const crossed = await get('other', '/x', { authorization: bearer(await accessTokenFor(stack.idp, 'alice', CLIENTS.portcullis)) });
    expect(crossed.status).toBe(401);
    expect(crossed.upstream).toBeUndefined();
  });

  it('checks Bearer tokens by introspection, as authentik\'s outposts do', async () => {
    const running = await started();
    await configured(running);
    const token = await accessTokenFor(stack.idp, 'bob', CLIENTS.portcullis);
    stack.idp.resetCalls();
    expect((await get('app', '/y', { authorization: bearer(token) })).status).toBe(200);
    expect(stack.idp.calls('introspection')).toBe(1);
  });

  it('logs in a browser on each provider with its own client, and never calls discovery', async () => {
    const running = await started();
    await configured(running);
    stack.idp.resetCalls();
    for (const slug of ['app', 'other']) {
      const browser = new HttpBrowser();
      const walk = await browser.walk(`${stack.origin(slug)}/dashboard`, { credentials: { username: 'alice', password: 'alice-password' } });
      expect(walk.final?.status).toBe(200);
      expect(JSON.parse(walk.final?.body ?? '{}')).toMatchObject({ url: '/dashboard' });
    }
    expect(stack.idp.calls('discovery')).toBe(0);
  });

  it('skips a provider with an invalid field, naming its pk, name and the field; the others are served', async () => {
    stack.idp.outpost.patchRaw(2, { external_host: 'not a url' });
    try {
      const running = await started();
      await configured(running);
      const skipped = running.logs().find((line) => line.msg === 'authentik provider skipped: a field does not validate');
      expect(skipped).toMatchObject({ pk: 2, name: 'other-provider', field: 'external_host' });
      expect((await get('app', '/public/x')).status).toBe(200);
    } finally {
      stack.idp.outpost.removeProvider(2);
      await stack.idp.outpost.setProvider(2, { name: 'other-provider', client: 'other-app', slug: 'other', externalHost: stack.origin('other'), internalHost: stack.echo.url });
    }
  });
});

describe('the websocket', () => {
  it('says hello on connect with version, build, instance and host name, and the outpost token', async () => {
    const running = await started();
    await configured(running);
    const uuid = running.source().instanceUuid;
    const connection = await stack.idp.outpost.waitForConnection((c) => c.authorized && c.instanceUuid === uuid);
    expect(connection.userAgent).toBe(`goauthentik.io/outpost/${VERSION}`);
    expect(connection.attempt).toBe(1);
    const hello = await stack.idp.outpost.waitForMessage((m) => m.message?.instruction === OUTPOST_INSTRUCTION.HELLO && m.instanceUuid === uuid);
    expect(hello.message?.args).toMatchObject({ version: VERSION, buildHash: '', uuid });
    expect(typeof hello.message?.args.hostname).toBe('string');
  });

  it('says hello again every interval', async () => {
    const running = await started({ helloIntervalMs: 200 });
    await configured(running);
    await eventually(() => stack.idp.outpost.messages().filter((m) => m.message?.instruction === OUTPOST_INSTRUCTION.HELLO).length >= 3, 3_000, 'three hellos');
  });

  it('re-fetches the providers when authentik triggers an update', async () => {
    const running = await started();
    await configured(running);
    expect((await get('other', '/open/x')).status).toBe(401);
    await stack.idp.outpost.setProvider(2, { skipPathRegex: '^/open/' });
    try {
      expect(stack.idp.outpost.triggerUpdate()).toBe(1);
      await eventually(async () => (await get('other', '/open/x')).status === 200, 5_000, 'the new skip path');
    } finally {
      await stack.idp.outpost.setProvider(2, { skipPathRegex: '' });
    }
  });

  it('keeps the sessions of unchanged providers across a re-fetch', async () => {
    const running = await started();
    await configured(running);
    const browser = new HttpBrowser();
    const walk = await browser.walk(`${stack.origin('app')}/before`, { credentials: { username: 'alice', password: 'alice-password' } });
    expect(walk.final?.status).toBe(200);
    const fetched = stack.idp.outpost.apiCalls().filter((call) => call.path === '/api/v3/outposts/proxy/').length;
    stack.idp.outpost.triggerUpdate();
    await eventually(() => stack.idp.outpost.apiCalls().filter((call) => call.path === '/api/v3/outposts/proxy/').length > fetched, 3_000, 'the re-fetch');
    const after = await browser.request(`${stack.origin('app')}/after`, { accept: 'application/json' });
    expect(after.status).toBe(200);
    // Nothing changed at authentik: the running configuration (and its warm caches) stays.
    expect(running.logs().filter((line) => line.msg === 'configuration from authentik applied')).toHaveLength(1);
  });

  it('ends the sessions of an authentik session on a session end, by its sid or its SHA-256', async () => {
    const running = await started();
    await configured(running);
    for (const hashed of [false, true]) {
      const browser = new HttpBrowser();
      const walk = await browser.walk(`${stack.origin('app')}/mine`, { credentials: { username: 'bob', password: 'bob-password' } });
      expect(walk.final?.status).toBe(200);
      const before = await browser.request(`${stack.origin('app')}/again`);
      expect(before.status).toBe(200);
      const sids = stack.idp.sessionIdsOf('bob');
      expect(sids.length).toBeGreaterThan(0);
      const sid = sids.at(-1) ?? '';
      stack.idp.outpost.endSession(hashed ? createHash('sha256').update(sid).digest('hex') : sid);
      await eventually(async () => (await browser.request(`${stack.origin('app')}/after`)).status === 302, 3_000, 'the session to end');
    }
  });

  it('reconnects after the connection drops, counting attempts, and says hello again', async () => {
    const running = await started();
    await configured(running);
    const uuid = running.source().instanceUuid;
    const first = await stack.idp.outpost.waitForConnection((c) => c.authorized && c.state === 'open' && c.instanceUuid === uuid);
    expect(stack.idp.outpost.dropConnections()).toBe(1);
    const again = await stack.idp.outpost.waitForConnection((c) => c.authorized && c.instanceUuid === uuid && c.id !== first.id, 5_000);
    expect(again.attempt).toBe(1);
    await stack.idp.outpost.waitForMessage((m) => m.message?.instruction === OUTPOST_INSTRUCTION.HELLO && m.connectionId === again.id);
  });

  it('logs and ignores a malformed message, and keeps the connection', async () => {
    const running = await started();
    await configured(running);
    const uuid = running.source().instanceUuid;
    const first = await stack.idp.outpost.waitForConnection((c) => c.authorized && c.state === 'open' && c.instanceUuid === uuid);
    stack.idp.outpost.sendRaw('{not json');
    stack.idp.outpost.sendRaw('{"instruction":"two"}');
    await eventually(() => running.logs().filter((line) => line.msg === 'ignored a malformed message from authentik').length === 2, 3_000, 'two warnings');
    expect(stack.idp.outpost.connections().find((c) => c.id === first.id)?.state).toBe('open');
    // Still listening: an update still arrives over the same connection.
    expect(stack.idp.outpost.triggerUpdate()).toBe(1);
    await eventually(() => running.logs().some((line) => line.msg === 'authentik asked for a configuration update'), 3_000, 'the update');
  });
});

describe('after start-up', () => {
  it('keeps serving the last configuration while the API is down, and picks up changes once it is back', async () => {
    const running = await started();
    await configured(running);
    stack.idp.outpost.failApi(503);
    expect(await running.source().refresh()).toBe(false);
    expect((await get('app', '/public/x')).status).toBe(200);
    expect(await ready(running)).toBe(true);
    stack.idp.outpost.failApi(null);
    expect(await running.source().refresh()).toBe(true);
  });

  it('exposes authentik\'s outpost metrics: the websocket connection and the time of the last update', async () => {
    const running = await started();
    await configured(running);
    await stack.idp.outpost.waitForConnection((c) => c.authorized && c.state === 'open' && c.instanceUuid === running.source().instanceUuid);
    const text = await (await request(`${running.urls.health}/metrics`)).body.text();
    expect(text).toMatch(new RegExp(`authentik_outpost_connection\\{outpost_name="${OUTPOST_NAME}",outpost_type="proxy",uuid="[0-9a-f-]+"\\} 1`));
    const last = new RegExp(`authentik_outpost_last_update\\{[^}]*outpost_name="${OUTPOST_NAME}"[^}]*\\} (\\d+)`).exec(text);
    expect(Number(last?.[1])).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});

describe('portcullis run with AUTHENTIK_HOST and AUTHENTIK_TOKEN', () => {
  it('serves authentik\'s providers with no configuration file, and re-fetches on SIGUSR1', async () => {
    const child = await stack.spawn();
    try {
      await child.waitForLog((line) => line.msg === 'configuration from authentik applied');
      const token = await accessTokenFor(stack.idp, 'alice', CLIENTS.portcullis);
      expect((await get('app', '/x', { authorization: bearer(token) })).status).toBe(200);
      expect((await get('other', '/usr1/x')).status).toBe(401);
      await stack.idp.outpost.setProvider(2, { skipPathRegex: '^/usr1/' });
      child.child.kill('SIGUSR1');
      await eventually(async () => (await get('other', '/usr1/x')).status === 200, 5_000, 'the re-fetch on SIGUSR1');
    } finally {
      await stack.idp.outpost.setProvider(2, { skipPathRegex: '' });
      expect(await child.stop()).toBe(0);
    }
  });
});
