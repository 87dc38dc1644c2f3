/**
 * The browser login flow's endpoints: `/start` sends the browser to the IdP, `/callback`
 * turns the answer into a session, `/sign_out` ends it, `/backchannel_logout` lets the IdP
 * end it. Any failure at the callback is a 400 page and no session; an IdP or store outage
 * is a 503, never a redirect loop.
 */

import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { identityFromClaims } from '../../auth/index.js';
import { authorizationUrl, endSessionUrl, exchangeCode, LOGOUT_TOKEN_CLOCK_TOLERANCE_MS, newLoginSecrets, verifyLogoutToken } from '../../idp/index.js';
import { decodeSessionCookie, isSessionStoreUnavailable, LOGIN_STATE_MAX_AGE_MS, readCookie, serializeCookie, serializeExpiredCookie } from '../../sessions/index.js';
import { contextOf, type RequestContext } from '../context.js';
import { htmlPage } from '../pages.js';
import { validateRedirect } from '../redirect.js';
import { sendError } from '../render.js';

const LOGIN_COOKIE_MAX_AGE_SECONDS = 600;
const RETRY_AFTER_SECONDS = '5';
/** What every browser stores of one cookie, name, value and attributes together (RFC 6265 §6.1). */
const MAX_COOKIE_BYTES = 4096;

function loginOf(context: RequestContext) {
  const login = context.app.login;
  if (login === null) {
    throw new Error(`application ${context.app.name} has no login runtime`);
  }
  return login;
}

function queryOf(context: RequestContext): URLSearchParams {
  return new URLSearchParams(context.query.startsWith('?') ? context.query.slice(1) : context.query);
}

function unavailable(reply: FastifyReply, context: RequestContext, message: string): FastifyReply {
  context.outcome = 'unavailable';
  reply.header('retry-after', RETRY_AFTER_SECONDS).header('cache-control', 'no-store');
  sendError(reply, context.wantsHtml, { status: 503, error: 'service_unavailable', message });
  return reply;
}

function loginFailed(reply: FastifyReply, context: RequestContext, message: string, clear: string[] = []): FastifyReply {
  context.outcome = 'reject';
  if (clear.length > 0) {
    reply.header('set-cookie', clear);
  }
  reply.header('cache-control', 'no-store');
  sendError(reply, true, { status: 400, error: 'login_failed', message });
  return reply;
}

export async function startLogin(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const context = contextOf(request);
  context.outcome = 'reserved';
  const login = loginOf(context);
  const returnTo = validateRedirect(queryOf(context).get('rd'), login.redirect);
  let configuration;
  try {
    configuration = await login.provider.configuration();
  } catch {
    return unavailable(reply, context, 'Sign-in is temporarily unavailable: the identity provider did not answer.');
  }
  const secrets = newLoginSecrets();
  const target = await authorizationUrl(configuration, { redirectUri: login.callbackUrl, scopes: login.identity.scopes, secrets });
  const createdAt = login.now();
  const loginCookie = (to: string) =>
    serializeCookie(login.loginState.cookieName(context.app.sessionCookieName, secrets.state), login.loginState.seal(context.app.name, { ...secrets, returnTo: to, createdAt }), {
      ...login.sessions.cookieScope,
      maxAgeSeconds: LOGIN_COOKIE_MAX_AGE_SECONDS,
    });
  let cookie = loginCookie(returnTo);
  if (cookie.length > MAX_COOKIE_BYTES) {
    // Browsers silently drop a bigger cookie, and the callback could only fail: a deep link too
    // long to carry through the login lands on the application root instead.
    cookie = loginCookie(validateRedirect(null, login.redirect));
  }
  return reply.code(302).header('set-cookie', cookie).header('cache-control', 'no-store').header('location', target.href).send();
}

export async function finishLogin(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return finishLoginWith(request, reply, queryOf(contextOf(request)));
}

/**
 * The callback with its parameters from elsewhere than the request's own query: a forward-auth
 * decision about an original request that carries authentik's callback signature.
 */
export async function finishLoginWith(request: FastifyRequest, reply: FastifyReply, params: URLSearchParams): Promise<FastifyReply> {
  const context = contextOf(request);
  const login = loginOf(context);
  const state = params.get('state') ?? '';
  const loginCookie = state === '' ? null : login.loginState.cookieName(context.app.sessionCookieName, state);
  const clear = loginCookie === null ? [] : [serializeExpiredCookie(loginCookie, login.sessions.cookieScope)];
  const error = params.get('error');
  if (error !== null) {
    // Anyone can send a browser here with any text: only a well-formed error code is shown
    // (RFC 6749 §4.1.2.1), never error_description, which would put their words on this origin.
    const code = /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(error) ? error : 'error';
    return loginFailed(reply, context, `The identity provider did not sign you in (${code}).`, clear);
  }
  const sealed = loginCookie === null ? undefined : readCookie(request.headers.cookie, loginCookie);
  const started = sealed === undefined ? null : login.loginState.open(context.app.name, state, sealed, login.now());
  if (started === null) {
    return loginFailed(reply, context, 'This sign-in link has expired or was started in another browser. Please try again.', clear);
  }
  const stateKey = `login-state:${createHash('sha256').update(state).digest('base64url')}`;
  if (await login.store.isClaimed(stateKey).catch(() => false)) {
    // A replayed callback URL with the same cookie: refused before the IdP is asked.
    return loginFailed(reply, context, 'This sign-in link was already used. Please start again.', clear);
  }
  const tokens = await exchangeCode(login.provider, params, started, login.callbackUrl, login.now());
  if (!tokens.ok) {
    if (tokens.kind === 'unavailable') {
      return unavailable(reply, context, 'Sign-in is temporarily unavailable: the identity provider did not answer.');
    }
    request.log.warn({ app: context.app.name, reason: tokens.reason }, 'login callback refused');
    return loginFailed(reply, context, 'The sign-in could not be completed. Please try again.', clear);
  }
  const identity = identityFromClaims(login.identity.claims, {
    claims: tokens.value.claims,
    token: tokens.value.accessToken,
    method: 'session',
    expiresAt: tokens.value.expiresAt,
  });
  try {
    // The login state is spent by its first successful callback, on whichever replica. Claimed
    // only now, so an IdP outage during the exchange leaves the link usable for a retry.
    if (!(await login.store.claimOnce(stateKey, LOGIN_STATE_MAX_AGE_MS))) {
      return loginFailed(reply, context, 'This sign-in link was already used. Please start again.', clear);
    }
    await endPreviousSession(request, context);
    const sessionCookie = await login.sessions.create(identity, {
      idToken: tokens.value.idToken,
      ...(tokens.value.refreshToken === undefined ? {} : { refreshToken: tokens.value.refreshToken }),
    });
    if (sessionCookie === null) {
      return loginFailed(reply, context, 'The identity provider issued an already expired sign-in.', clear);
    }
    context.outcome = 'reserved';
    context.identity = identity;
    return reply
      .code(302)
      .header('set-cookie', [...clear, sessionCookie])
      .header('cache-control', 'no-store')
      .header('location', validateRedirect(started.returnTo, login.redirect))
      .send();
  } catch (error) {
    if (isSessionStoreUnavailable(error)) {
      return unavailable(reply, context, 'Sign-in is temporarily unavailable: sessions cannot be stored right now.');
    }
    throw error;
  }
}

/** Login never reuses a session id the browser brought along (session fixation). */
async function endPreviousSession(request: FastifyRequest, context: RequestContext): Promise<void> {
  const login = loginOf(context);
  const value = readCookie(request.headers.cookie, context.app.sessionCookieName);
  const id = value === undefined ? null : decodeSessionCookie(value, context.app.name, login.secret);
  if (id !== null) {
    await login.store.delete(id);
  }
}

export async function signOut(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const context = contextOf(request);
  context.outcome = 'reserved';
  const login = loginOf(context);
  const value = readCookie(request.headers.cookie, context.app.sessionCookieName);
  const id = value === undefined ? null : decodeSessionCookie(value, context.app.name, login.secret);
  let idTokenHint: string | undefined;
  try {
    const record = id === null ? null : await login.store.get(id, context.app.name);
    if (record !== null) {
      idTokenHint = record.identity.idToken;
      await login.store.deleteForUser(context.app.name, record.sub);
      request.log.info({ app: context.app.name, user: record.identity.username }, 'signed out');
    } else if (id !== null) {
      await login.store.delete(id);
    }
  } catch (error) {
    if (isSessionStoreUnavailable(error)) {
      return unavailable(reply, context, 'Signing out is temporarily unavailable. Please try again.');
    }
    throw error;
  }
  reply.header('set-cookie', serializeExpiredCookie(context.app.sessionCookieName, login.sessions.cookieScope)).header('cache-control', 'no-store');
  let target: URL | null = null;
  try {
    target = endSessionUrl(await login.provider.configuration(), { idTokenHint, postLogoutRedirectUri: postLogoutTarget(context) });
  } catch {
    target = null;
  }
  if (target !== null) {
    return reply.code(302).header('location', target.href).send();
  }
  return reply
    .code(200)
    .type('text/html; charset=utf-8')
    .send(htmlPage({ status: 200, error: 'signed_out', message: 'You have been signed out.' }, { application: context.app.name, retryUrl: null }, context.app.pages.signedOut));
}

/** `identity.postLogoutRedirectUri`: unset means back to the application's root, "" means none. */
function postLogoutTarget(context: RequestContext): string | null {
  const configured = loginOf(context).identity.postLogoutRedirectUri;
  if (configured === null) {
    return `${context.app.origin}/`;
  }
  return configured === '' ? null : configured;
}

export async function backchannelLogout(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const context = contextOf(request);
  context.outcome = 'reserved';
  const login = loginOf(context);
  reply.header('cache-control', 'no-store');
  const body = request.body;
  const token = body instanceof URLSearchParams ? body.get('logout_token') : null;
  if (token === null || token === '') {
    return reply.code(400).type('application/json').send({ error: 'invalid_request', error_description: 'logout_token is required' });
  }
  const verdict = await verifyLogoutToken(token, login.provider, login.identity.clientId);
  if (!verdict.ok) {
    if (verdict.kind === 'unavailable') {
      return reply.code(503).header('retry-after', RETRY_AFTER_SECONDS).type('application/json').send({ error: 'temporarily_unavailable' });
    }
    request.log.warn({ app: context.app.name, reason: verdict.reason }, 'back-channel logout token refused');
    return reply.code(400).type('application/json').send({ error: 'invalid_request', error_description: 'the logout token was not accepted' });
  }
  const { sub, sid, jti, expiresAt } = verdict.value;
  const issuer = login.provider.issuer;
  try {
    // §2.6 step 8: a jti seen before (by any replica) is a replay; it is remembered until exp.
    const jtiKey = `logout-jti:${createHash('sha256').update(`${issuer}\n${jti}`).digest('base64url')}`;
    const ttlMs = Math.max(1_000, expiresAt - login.now() + LOGOUT_TOKEN_CLOCK_TOLERANCE_MS);
    if (await login.store.isClaimed(jtiKey)) {
      request.log.warn({ app: context.app.name }, 'back-channel logout token replayed');
      return reply.code(400).type('application/json').send({ error: 'invalid_request', error_description: 'the logout token was already used' });
    }
    // §2.7: a sid names the IdP session by iss + sid (only that subject's sessions, when both are
    // named); a sub alone, every session of the user here.
    const ended =
      sid !== undefined
        ? await login.store.deleteForSid(sid, sub === undefined ? { issuer } : { issuer, sub })
        : await login.store.deleteForUser(context.app.name, sub ?? '');
    // Claimed only once the sessions are gone: a store failure before that is a 503 the IdP
    // retries, and the retry must not be taken for a replay. Ending sessions again is harmless.
    await login.store.claimOnce(jtiKey, ttlMs);
    request.log.info({ app: context.app.name, ended, by: sid !== undefined ? 'sid' : 'sub' }, 'back-channel logout');
  } catch (error) {
    if (isSessionStoreUnavailable(error)) {
      return reply.code(503).header('retry-after', RETRY_AFTER_SECONDS).type('application/json').send({ error: 'temporarily_unavailable' });
    }
    throw error;
  }
  return reply.code(200).send();
}
