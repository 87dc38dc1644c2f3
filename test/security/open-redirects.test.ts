/**
 * The open-redirect corpus (/work/shared/corpora/openredirects.txt, 559 payloads from
 * oauth2-proxy) against every endpoint that answers with a redirect, each payload sent
 * verbatim (raw bytes on the wire, as a crafted link would carry them) and escaped (as a
 * browser would send them). Whatever the payload, a Location only ever names:
 *
 * - `/outpost.goauthentik.io/start`: the IdP's authorization endpoint, with this
 *   application's callback as `redirect_uri` (the sealed return target is test/login/return-target.test.ts);
 * - a protected path, for a browser: `<externalHost>/outpost.goauthentik.io/start?rd=<URL>`,
 *   the URL on the application's own origin;
 * - `/outpost.goauthentik.io/sign_out`: the IdP's end-session endpoint, nothing taken from the request
 *   (its post_logout_redirect_uri is the application's root);
 * - forward auth (Traefik, Caddy): `<externalHost>/outpost.goauthentik.io/start?rd=<URL>`,
 *   the URL on the application (forward_domain: a host under its cookie domain, same scheme).
 *
 * A request the server cannot take at all (bytes Node refuses, a path that is refused) is a 400
 * without a Location, which is also fine. Every answer is one of those two.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoUpstream, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { startDevIdp, type DevIdp } from '../../src/devidp/index.js';
import { USERS_FILE } from '../support/auth-stack.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { exchange, finals, message, values } from './wire.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpora/openredirects.txt', import.meta.url));
const PAYLOADS = readFileSync(CORPUS, 'utf8').replace(/\n$/, '').split('\n');
const START = '/outpost.goauthentik.io/start';
const CALLBACK = '/outpost.goauthentik.io/callback?X-authentik-auth-callback=true';
const CONCURRENCY = 16;

const APP = 'http://app.test';
const FWD = 'http://fwd.test';
const DOM = 'https://auth.dom.test';

let idp: DevIdp;
let echo: EchoUpstream;
let gw: RunningGateway;
let endpoints: { authorization_endpoint: string; end_session_endpoint: string };

beforeAll(async () => {
  idp = await startDevIdp({ users: USERS_FILE });
  echo = await startEchoUpstream();
  gw = await startGateway(`
listen: "127.0.0.1:0"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
identity: { issuer: "${idp.issuer}", clientId: portcullis, clientSecret: portcullis-dev-secret }
applications:
  - name: app
    externalHost: "${APP}"
    internalHost: "${echo.url}"
  - name: fwd
    externalHost: "${FWD}"
    mode: forward_single
  - name: dom
    externalHost: "${DOM}"
    mode: forward_domain
    cookieDomain: ".dom.test"
`);
  endpoints = (await (await fetch(`${idp.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)).json()) as typeof endpoints;
});
afterAll(async () => {
  await gw?.close();
  await echo?.close();
  await idp?.close();
});

/** The payload's UTF-8 bytes as a latin1 string: written to the socket byte for byte. */
function verbatim(payload: string): string {
  return Buffer.from(payload, 'utf8').toString('latin1');
}

/** The payload as a browser puts it in a request target: bytes outside visible ASCII, and `#`, percent-encoded. */
function escaped(payload: string): string {
  let out = '';
  for (const byte of Buffer.from(payload, 'utf8')) {
    out += byte > 0x20 && byte < 0x7f && byte !== 0x23 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const FORMS = { verbatim, escaped } as const;

interface Answer {
  readonly status: number;
  readonly location: string | undefined;
}

async function ask(lines: readonly string[]): Promise<Answer> {
  const wire = await exchange(gw.port, message([...lines, 'Connection: close']), 5000);
  const [answer] = finals(wire);
  return { status: answer?.status ?? 0, location: answer === undefined ? undefined : values(answer, 'location')[0] };
}

/** Runs `check` over every item, CONCURRENCY at a time; returns the problems found, prefixed by the item's label. */
async function sweep<T>(items: readonly T[], label: (item: T) => string, check: (item: T) => Promise<string | null>): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < items.length; i = next++) {
        const item = items[i] as T;
        const problem = await check(item);
        if (problem !== null) problems.push(`${label(item)}: ${problem}`);
      }
    }),
  );
  return problems;
}

interface Case {
  readonly payload: string;
  readonly form: string;
  /** What goes on the wire. */
  readonly text: string;
}

/** Each distinct wire text once: for most payloads the escaped form is the verbatim one. */
function distinct(items: readonly Case[]): Case[] {
  return [...new Map(items.map((c) => [c.text, c] as const)).values()];
}

const cases = distinct(PAYLOADS.flatMap((payload) => Object.entries(FORMS).map(([form, encode]) => ({ payload, form, text: encode(payload) }))));
const labelOf = (c: Case): string => `${c.form} ${JSON.stringify(c.payload)}`;

/** A Location a browser reads exactly as written: visible ASCII, no backslash. */
function plainUrl(location: string): boolean {
  return /^[\x21-\x7e]+$/.test(location) && !location.includes('\\');
}

/**
 * null when `location` is exactly `<externalHost>/outpost.goauthentik.io/start?rd=<URL>`, the URL
 * accepted by `onApplication`; else what is wrong with it.
 */
function loginProblem(location: string | undefined, externalHost: string, onApplication: (target: URL) => boolean): string | null {
  if (location === undefined) return 'no Location';
  if (!plainUrl(location)) return `not a plain URL: ${JSON.stringify(location)}`;
  const prefix = `${externalHost}${START}?rd=`;
  if (!location.startsWith(prefix)) return `not the login start: ${location}`;
  const encoded = location.slice(prefix.length);
  const rd = decodeURIComponent(encoded);
  // One parameter, encoded as a whole: nothing after it can add a second rd or another parameter.
  if (encodeURIComponent(rd) !== encoded) return `rd is not one encoded value: ${location}`;
  if (/[\x00-\x20\x7f]/.test(rd)) return `rd holds controls: ${JSON.stringify(rd)}`;
  let target: URL;
  try {
    target = new URL(rd);
  } catch {
    return `rd is not an absolute URL: ${rd}`;
  }
  if (target.username !== '' || target.password !== '') return `rd carries user info: ${rd}`;
  return onApplication(target) ? null : `rd leaves the application: ${rd}`;
}

function sameOrigin(origin: string): (target: URL) => boolean {
  return (target) => target.origin === origin && target.href.startsWith(`${origin}/`);
}

/** forward_domain: https and a host under dom.test at a dot boundary. */
function underDomain(target: URL): boolean {
  return target.protocol === 'https:' && (target.hostname === 'dom.test' || target.hostname.endsWith('.dom.test'));
}

function refusedOr(answer: Answer, problem: () => string | null): string | null {
  if (answer.status === 400) return answer.location === undefined ? null : `400 with a Location: ${answer.location}`;
  if (answer.status !== 302) return `answered ${answer.status}`;
  return problem();
}

it(`has the corpus (${PAYLOADS.length} payloads)`, () => {
  expect(PAYLOADS.length).toBeGreaterThanOrEqual(559);
});

describe('/outpost.goauthentik.io/start?rd=<payload>', () => {
  const idpLocation = (externalHost: string) => (location: string | undefined): string | null => {
    if (location === undefined) return 'no Location';
    if (!plainUrl(location)) return `not a plain URL: ${JSON.stringify(location)}`;
    const url = new URL(location);
    if (`${url.origin}${url.pathname}` !== endpoints.authorization_endpoint) return `not the IdP's authorization endpoint: ${location}`;
    if (url.searchParams.get('redirect_uri') !== `${externalHost}${CALLBACK}`) return `redirect_uri is ${url.searchParams.get('redirect_uri')}`;
    return null;
  };

  it.each([
    ['app.test', APP],
    ['fwd.test', FWD],
    ['auth.dom.test', DOM],
  ])('on %s: only ever the IdP authorization endpoint, with this application\'s callback', async (host, externalHost) => {
    const check = idpLocation(externalHost);
    const problems = await sweep(cases, labelOf, async (c) => {
      const answer = await ask([`GET ${START}?rd=${c.text} HTTP/1.1`, `Host: ${host}`]);
      return refusedOr(answer, () => check(answer.location));
    });
    expect(problems).toEqual([]);
  });
});

describe('the login redirect for a browser on a protected path', () => {
  const onApp = sameOrigin(APP);

  it('/<payload>: Location is the login start, rd on the application', async () => {
    const problems = await sweep(cases, labelOf, async (c) => {
      const answer = await ask([`GET /${c.text} HTTP/1.1`, 'Host: app.test', 'Accept: text/html']);
      return refusedOr(answer, () => loginProblem(answer.location, APP, onApp));
    });
    expect(problems).toEqual([]);
  });

  it('/page?<payload>: the query cannot move rd off the application either', async () => {
    const problems = await sweep(cases, labelOf, async (c) => {
      const answer = await ask([`GET /page?${c.text} HTTP/1.1`, 'Host: app.test', 'Accept: text/html']);
      return refusedOr(answer, () => loginProblem(answer.location, APP, onApp));
    });
    expect(problems).toEqual([]);
  });

  it('a forged Host, X-Forwarded-Host or Referer does not change where the browser is sent', async () => {
    const problems = await sweep(['evil.example', 'app.test.evil.example', 'app.test@evil.example'], (h) => h, async (evil) => {
      const answer = await ask(['GET /page HTTP/1.1', 'Host: app.test', `X-Forwarded-Host: app.test`, `Referer: https://${evil}/`, 'Accept: text/html']);
      return refusedOr(answer, () => loginProblem(answer.location, APP, onApp));
    });
    expect(problems).toEqual([]);
  });
});

describe('/outpost.goauthentik.io/sign_out', () => {
  it('goes only to the IdP end-session endpoint, with nothing taken from the request', async () => {
    const problems = await sweep(cases, labelOf, async (c) => {
      const query = ['rd', 'redirect', 'next', 'post_logout_redirect_uri', 'return_to'].map((name) => `${name}=${c.text}`).join('&');
      const answer = await ask([`GET /outpost.goauthentik.io/sign_out?${query} HTTP/1.1`, 'Host: app.test', `Referer: ${c.text}`]);
      if (answer.status === 400) return answer.location === undefined ? null : `400 with a Location: ${answer.location}`;
      if (answer.status !== 302 || answer.location === undefined) return `answered ${answer.status}`;
      if (!plainUrl(answer.location)) return `not a plain URL: ${JSON.stringify(answer.location)}`;
      const url = new URL(answer.location);
      if (`${url.origin}${url.pathname}` !== endpoints.end_session_endpoint) return `not the end-session endpoint: ${answer.location}`;
      const names = [...url.searchParams.keys()];
      if (names.some((name) => name !== 'client_id' && name !== 'id_token_hint' && name !== 'post_logout_redirect_uri')) return `carries ${names.join(', ')}`;
      // The way back after the IdP's logout is the application's root, never anything the request said.
      const back = url.searchParams.get('post_logout_redirect_uri');
      if (back !== null && back !== `${APP}/`) return `post_logout_redirect_uri is ${back}`;
      return null;
    });
    expect(problems).toEqual([]);
  });
});

describe('forward auth: Traefik and Caddy', () => {
  const TRAEFIK = '/outpost.goauthentik.io/auth/traefik';
  const CADDY = '/outpost.goauthentik.io/auth/caddy';

  function forwardAsk(endpoint: string, host: string, uri: string): Promise<Answer> {
    return ask([
      `GET ${endpoint} HTTP/1.1`,
      `Host: ${host}`,
      'X-Forwarded-Proto: https',
      `X-Forwarded-Host: ${host}`,
      `X-Forwarded-Uri: ${uri}`,
      'X-Forwarded-Method: GET',
      'Accept: text/html',
    ]);
  }

  // Each payload as the whole X-Forwarded-Uri, and behind a slash when it does not start with one.
  const uris = distinct(cases.flatMap((c) => (c.text.startsWith('/') ? [c] : [c, { ...c, form: `${c.form} after /`, text: `/${c.text}` }])));

  it.each([
    ['traefik, forward_single', TRAEFIK, 'fwd.test', FWD, sameOrigin(FWD)],
    ['caddy, forward_single', CADDY, 'fwd.test', FWD, sameOrigin(FWD)],
    ['traefik, forward_domain', TRAEFIK, 'wiki.dom.test', DOM, underDomain],
  ] as const)('%s: only ever the login start on externalHost, rd on the application', async (_name, endpoint, host, externalHost, onApplication) => {
    const problems = await sweep(uris, labelOf, async (c) => {
      const answer = await forwardAsk(endpoint, host, c.text);
      return refusedOr(answer, () => loginProblem(answer.location, externalHost, onApplication));
    });
    expect(problems).toEqual([]);
  });

  it('forward_domain: an X-Forwarded-Host off the cookie domain never becomes the return target', async () => {
    const hosts = [
      'evil.example',
      'dom.test.evil.example',
      'xdom.test',
      'evil.example:443',
      'evil.example\\.dom.test',
      'evil.example/.dom.test',
      'evil.example?.dom.test',
      'evil.example#.dom.test',
      'wiki.dom.test@evil.example',
      'evil.example%2f.dom.test',
      'wiki.dom.test, evil.example',
      '127.0.0.1',
      '[::1]',
      'WIKI.DOM.TEST',
      'wiki.dom.test.',
      'wiki.dom.test:8443',
    ];
    const problems = await sweep(hosts, (h) => JSON.stringify(h), async (host) => {
      const answer = await forwardAsk(TRAEFIK, host, '/page');
      return refusedOr(answer, () => loginProblem(answer.location, DOM, underDomain));
    });
    expect(problems).toEqual([]);
  });
});
