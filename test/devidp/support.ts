import { fileURLToPath } from 'node:url';

import type { JSONWebKeySet } from 'jose';
import * as client from 'openid-client';

import { startDevIdp } from '../../src/devidp/index.js';
import type { DevIdp, DevIdpOptions } from '../../src/devidp/index.js';

export const USERS_FILE = fileURLToPath(new URL('../support/users.yaml', import.meta.url));
export const CLIENT_ID = 'portcullis';
export const CLIENT_SECRET = 'portcullis-dev-secret';
export const REDIRECT_URI = 'http://127.0.0.1:9000/outpost.goauthentik.io/callback';
export const SCOPE = 'openid profile email ak_proxy';

export function startTestIdp(options: Partial<DevIdpOptions> = {}): Promise<DevIdp> {
  return startDevIdp({ users: USERS_FILE, ...options });
}

/** openid-client configuration for the `portcullis` client; http issuers need allowInsecureRequests. */
export function discover(
  idp: DevIdp,
  auth: client.ClientAuth = client.ClientSecretBasic(CLIENT_SECRET),
  clientId = CLIENT_ID,
): Promise<client.Configuration> {
  return client.discovery(new URL(idp.issuer), clientId, undefined, auth, { execute: [client.allowInsecureRequests] });
}

export async function fetchJwks(url: string): Promise<JSONWebKeySet> {
  return (await (await fetch(url)).json()) as JSONWebKeySet;
}

/** Cookies of one "browser", sent to every path of the IdP (enough for a single-host flow). */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1] ?? '') < Date.now());
      if (value === '' || expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
}

export interface BrowserStep {
  readonly response: Response;
  readonly body: string;
}

/** One request of a browser that does not follow redirects, so each hop can be inspected. */
export async function browse(jar: CookieJar, url: string, init: RequestInit = {}): Promise<BrowserStep> {
  const headers = new Headers(init.headers);
  const cookie = jar.header();
  if (cookie !== '') headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.take(response);
  return { response, body: await response.text() };
}

export function location(step: BrowserStep, base: string): string {
  const value = step.response.headers.get('location');
  if (value === null) throw new Error(`expected a redirect, got ${step.response.status}: ${step.body.slice(0, 300)}`);
  return new URL(value, base).href;
}

export function formAction(html: string, base: string): string {
  const match = /<form[^>]*action="([^"]+)"/.exec(html);
  if (match?.[1] === undefined) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  return new URL(match[1].replace(/&#38;/g, '&'), base).href;
}

export function postForm(jar: CookieJar, url: string, fields: Record<string, string>): Promise<BrowserStep> {
  return browse(jar, url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

export interface AuthorizationStart {
  readonly authUrl: string;
  readonly codeVerifier: string;
  readonly state: string;
  readonly nonce: string;
}

export async function authorizationRequest(
  config: client.Configuration,
  options: { scope?: string; redirectUri?: string } = {},
): Promise<AuthorizationStart> {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: options.redirectUri ?? REDIRECT_URI,
    scope: options.scope ?? SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  }).href;
  return { authUrl, codeVerifier, state, nonce };
}

export interface LoginResult extends AuthorizationStart {
  readonly callbackUrl: URL;
  readonly jar: CookieJar;
}

/**
 * Drives the authorization code flow with PKCE like a browser would, with plain fetch: the
 * authorization request, the login form, the resume, up to the redirect to the client.
 */
export async function browserLogin(
  config: client.Configuration,
  credentials: { username: string; password: string },
  options: { scope?: string; jar?: CookieJar; redirectUri?: string } = {},
): Promise<LoginResult> {
  const jar = options.jar ?? new CookieJar();
  const start = await authorizationRequest(config, options);
  const toLogin = await browse(jar, start.authUrl);
  const loginPage = await browse(jar, location(toLogin, start.authUrl));
  const action = formAction(loginPage.body, start.authUrl);
  const submitted = await postForm(jar, action, credentials);
  const resumed = await browse(jar, location(submitted, action));
  const callbackUrl = new URL(location(resumed, action));
  return { ...start, callbackUrl, jar };
}

/** The code-flow token response for a user, via the login form. */
export async function codeFlowTokens(
  config: client.Configuration,
  credentials: { username: string; password: string },
): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  const login = await browserLogin(config, credentials);
  return client.authorizationCodeGrant(config, login.callbackUrl, {
    pkceCodeVerifier: login.codeVerifier,
    expectedState: login.state,
    expectedNonce: login.nonce,
  });
}

/** authentik-style client_credentials: the client names a user and gives an app password. */
export function appPasswordGrant(
  config: client.Configuration,
  username: string,
  password: string,
): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  return client.clientCredentialsGrant(config, { username, password, scope: SCOPE });
}
