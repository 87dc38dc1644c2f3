/**
 * A second OpenID Provider for tests, configured independently of the development IdP and
 * with oidc-provider's standard behaviour wherever the dev IdP speaks authentik's dialect: ES256
 * ID tokens and EdDSA-signed UserInfo (both keys in its JWKS), opaque access tokens, claims only
 * in UserInfo (lean ID tokens, OpenID Connect Core §5.4), `client_secret_basic` as the only
 * client authentication, the code flow with a small login form, introspection. Portcullis was
 * not written against it, which is the point.
 *
 * A thin node:http layer in front records how clients authenticated at the token endpoint and
 * injects UserInfo faults (status, HTML, stalls, rewritten answers).
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider';

export const SECOND_CLIENT = { id: 'std-portcullis', secret: 'std-portcullis-secret' } as const;
/** The same registration, but its UserInfo answers are EdDSA-signed JWTs (`userinfo_signed_response_alg`). */
export const SIGNED_USERINFO_CLIENT = { id: 'std-signed', secret: 'std-signed-secret' } as const;

export interface SecondUser {
  readonly sub: string;
  readonly username: string;
  readonly password: string;
  readonly email: string;
  readonly name: string;
  readonly groups: readonly string[];
}

export const SECOND_USERS: Readonly<Record<'dana', SecondUser>> = {
  dana: { sub: 'c0ffee-dana', username: 'dana', password: 'dana-password', email: 'dana@second.example', name: 'Dana Second', groups: ['std-staff', 'std-ops'] },
};

/** What the UserInfo endpoint does instead of (or to) its real answer. */
export type UserinfoFault =
  | { readonly kind: 'answer'; readonly status: number; readonly contentType: string; readonly body: string }
  | { readonly kind: 'stall'; readonly ms: number }
  | { readonly kind: 'rewrite'; readonly rewrite: (body: string) => string };

/** How a token-endpoint request authenticated its client, as seen on the wire. */
export type SeenClientAuth = 'client_secret_basic' | 'body';

export interface SecondIdp {
  readonly issuer: string;
  /** Every redirect URI the clients accept is registered up front. */
  readonly clientAuthSeen: () => readonly SeenClientAuth[];
  userinfoCalls(): number;
  setUserinfoFault(fault: UserinfoFault | null): void;
  close(): Promise<void>;
}

export interface SecondIdpOptions {
  /** Callback URLs of the gateways that will log in here. */
  readonly redirectUris: readonly string[];
}

const INTERACTION = '/interaction/';

export async function startSecondIdp(options: SecondIdpOptions): Promise<SecondIdp> {
  const seen: SeenClientAuth[] = [];
  let userinfoCalls = 0;
  let fault: UserinfoFault | null = null;
  let provider: Provider | undefined;
  const server = createServer((req, res) => {
    if (provider === undefined) {
      res.writeHead(503).end();
      return;
    }
    route(provider, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  provider = new Provider(issuer, await configuration(options));
  const callback = provider.callback();

  async function route(current: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith(INTERACTION)) {
      await interaction(current, req, res);
      return;
    }
    if (path === '/token' && req.method === 'POST') {
      seen.push(/^basic /i.test(req.headers.authorization ?? '') ? 'client_secret_basic' : 'body');
    }
    if (path === '/me') {
      userinfoCalls += 1;
      if (fault !== null && !(await applyFault(fault, res))) return;
    }
    await callback(req, res);
  }

  return {
    issuer,
    clientAuthSeen: () => [...seen],
    userinfoCalls: () => userinfoCalls,
    setUserinfoFault: (next) => {
      fault = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function configuration(options: SecondIdpOptions): Promise<Configuration> {
  const es256 = await generateKeyPair('ES256', { extractable: true });
  const eddsa = await generateKeyPair('EdDSA', { extractable: true });
  const client = (id: string, secret: string): ClientMetadata => ({
    client_id: id,
    client_secret: secret,
    redirect_uris: [...options.redirectUris],
    post_logout_redirect_uris: [...new Set(options.redirectUris.map((uri) => `${new URL(uri).origin}/`))],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  });
  return {
    clients: [
      client(SECOND_CLIENT.id, SECOND_CLIENT.secret),
      { ...client(SIGNED_USERINFO_CLIENT.id, SIGNED_USERINFO_CLIENT.secret), userinfo_signed_response_alg: 'EdDSA' },
    ],
    // The one method every server must support (RFC 6749 §2.3.1); secrets in the body are refused.
    clientAuthMethods: ['client_secret_basic'],
    jwks: {
      keys: [
        { ...(await exportJWK(es256.privateKey)), kid: 'std-es256', alg: 'ES256', use: 'sig' },
        { ...(await exportJWK(eddsa.privateKey)), kid: 'std-eddsa', alg: 'EdDSA', use: 'sig' },
      ],
    } as Configuration['jwks'],
    enabledJWA: { idTokenSigningAlgValues: ['ES256', 'EdDSA'], userinfoSigningAlgValues: ['ES256', 'EdDSA'] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'], groups: ['groups'] },
    findAccount: (_ctx, sub) => {
      const user = Object.values(SECOND_USERS).find((candidate) => candidate.sub === sub);
      if (user === undefined) return undefined;
      return {
        accountId: sub,
        claims: () => ({ sub, name: user.name, preferred_username: user.username, email: user.email, email_verified: true, groups: [...user.groups] }),
      };
    },
    interactions: { url: (_ctx, interaction) => `${INTERACTION}${interaction.uid}` },
    routes: { userinfo: '/me' },
    features: {
      devInteractions: { enabled: false },
      // Any client of this IdP may introspect any token (the dev IdP's rule too).
      introspection: { enabled: true, allowedPolicy: () => true },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { methods: ['S256'], required: () => true },
    // Explicit, so oidc-provider does not print a notice for each default it falls back to.
    ttl: { AccessToken: 600, IdToken: 600, RefreshToken: 3600, Grant: 3600, Session: 3600, Interaction: 600 },
  };
}

/** The login form, then consent granted for whatever the client asked (a test IdP's user always agrees). */
async function interaction(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'consent') {
    const grant = new provider.Grant({ accountId: String(details.session?.accountId), clientId: String(details.params['client_id']) });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope !== undefined) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims !== undefined) grant.addOIDCClaims(missing.missingOIDCClaims);
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method !== 'POST') {
    sendLoginForm(res, details.uid, '');
    return;
  }
  const form = new URLSearchParams(await readBody(req));
  const user = Object.values(SECOND_USERS).find((candidate) => candidate.username === form.get('username') && candidate.password === form.get('password'));
  if (user === undefined) {
    sendLoginForm(res, details.uid, 'Wrong username or password.');
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
}

function sendLoginForm(res: ServerResponse, uid: string, error: string): void {
  const html = `<!doctype html><title>Second IdP</title><p>${error}</p>
<form method="post" action="${INTERACTION}${encodeURIComponent(uid)}">
<input name="username"><input name="password" type="password"><button type="submit">Sign in</button></form>`;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
}

/** False when the fault answered the request itself. */
async function applyFault(fault: UserinfoFault, res: ServerResponse): Promise<boolean> {
  if (fault.kind === 'answer') {
    res.writeHead(fault.status, { 'content-type': fault.contentType }).end(fault.body);
    return false;
  }
  if (fault.kind === 'stall') {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, fault.ms);
      res.once('close', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    return !res.destroyed && !res.writableEnded;
  }
  // oidc-provider (Koa) sends its whole body with one end(): rewrite it there.
  const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
  res.end = ((chunk?: unknown) => {
    const text = fault.rewrite(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk ?? ''));
    if (!res.headersSent) res.setHeader('content-length', Buffer.byteLength(text));
    return end(text);
  }) as ServerResponse['end'];
  return true;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
