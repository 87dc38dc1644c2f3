/**
 * Builds each application's runtime from the configuration: its identity provider, token
 * checker, authenticator chain and outpost metadata. Everything here runs once at start-up.
 */

import { CredentialCache, HeaderAuthenticator, LoginThrottle, SessionAuthenticator, SessionIssuer, SessionRefresher, type Authenticator } from '../auth/index.js';
import { cookieNameFor, type ApplicationConfig, type Config } from '../config/index.js';
import { TokenChecker, type IdpDirectory } from '../idp/index.js';
import type { Logger } from '../observability/index.js';
import { LoginStateCodec, type SessionStore } from '../sessions/index.js';
import type { PolicyWatcher } from '../policy/index.js';
import type { OutpostMeta } from '../upstream/index.js';
import { OUTPOST_USER_AGENT } from '../version.js';
import { CALLBACK_PATH, prepareApplication, type PreparedApplication } from './application.js';
import { loadPageTemplates } from './pages.js';
import type { LoginRuntime } from './login/index.js';
import { redirectScopeOf } from './redirect.js';
import { messageOf } from '../errors/index.js';

/** Seconds an API client is asked to wait after an IdP outage answered its request. */
export const IDP_RETRY_AFTER_SECONDS = 5;

export interface WiringDeps {
  readonly config: Config;
  readonly policies: PolicyWatcher;
  readonly idps: IdpDirectory;
  readonly sessions: SessionStore;
  readonly logger: Logger;
}

export interface Wiring {
  readonly applications: readonly PreparedApplication[];
  readonly credentials: CredentialCache;
}

/** Seconds a client is asked to wait when the session store could not answer. */
export const STORE_RETRY_AFTER_SECONDS = 2;

export function wireApplications(deps: WiringDeps): Wiring {
  const { config, idps } = deps;
  const credentials = new CredentialCache({
    secret: config.secret,
    ttlMs: config.cache.credentialTtlMs,
    maxEntries: config.cache.maxCredentials,
  });
  const loginState = new LoginStateCodec(config.secret);
  const pages = loadPageTemplates(config.pagesDir);
  const throttle = loginThrottleFor(deps);
  const applications = config.applications.map((app) => {
    const sessionCookieName = config.sessions.cookieName || cookieNameFor(app.identity.clientId);
    const provider = idps.forApplication(app.name);
    const sessions = new SessionIssuer({
      application: app,
      store: deps.sessions,
      secret: config.secret,
      cookieName: sessionCookieName,
      lifetimeMs: app.sessionLifetimeMs ?? config.sessions.lifetimeMs,
      onStoreTrouble: (error) =>
        deps.logger.warn({ app: app.name, err: messageOf(error) }, 'no session handed out: the session store did not answer'),
    });
    const login: LoginRuntime = {
      provider,
      identity: app.identity,
      store: deps.sessions,
      sessions,
      loginState,
      redirect: redirectScopeOf(app),
      // The redirect_uri authentik registers for proxy providers, marker included, so an
      // existing provider works unchanged.
      callbackUrl: `${new URL(app.externalHost).origin}${CALLBACK_PATH}?X-authentik-auth-callback=true`,
      secret: config.secret,
      now: Date.now,
    };
    return prepareApplication(app, {
      authenticators: authenticatorsFor(app, login, credentials, throttle, deps),
      meta: metaFor(app, config.outpostName, idps),
      sessionCookieName,
      policy: deps.policies.live(app.name),
      login,
      pages,
      onRefusedHeaders: (identity, refused) =>
        deps.logger.warn({ app: app.name, user: identity.username, refused }, 'headers of the additionalHeaders attribute refused'),
    });
  });
  return { applications, credentials };
}

/**
 * Session first, then header credentials (DESIGN.md §2). With `intercept: false` the header
 * goes first: whether an Authorization header is Portcullis's (consumed and stripped) or the
 * upstream's (passed untouched) is only known by checking it, session or not.
 */
function authenticatorsFor(
  app: ApplicationConfig,
  login: LoginRuntime,
  cache: CredentialCache,
  throttle: LoginThrottle | undefined,
  deps: WiringDeps,
): Authenticator[] {
  const { config, logger } = deps;
  const { provider, sessions, store } = login;
  const session = [
    new SessionAuthenticator({
      application: app.name,
      cookieName: sessions.cookieName,
      secret: config.secret,
      store,
      retryAfterSeconds: STORE_RETRY_AFTER_SECONDS,
      refresher: new SessionRefresher({ application: app.name, store, provider, claims: app.identity.claims }),
    }),
  ];
  const { headerAuth } = app;
  const header = new HeaderAuthenticator({
      application: app.name,
      headerAuth,
      identity: app.identity,
      provider,
      tokens: new TokenChecker({ provider, identity: app.identity }),
      cache,
      sessions,
      retryAfterSeconds: IDP_RETRY_AFTER_SECONDS,
      ...(throttle === undefined ? {} : { throttle }),
    onIdpTrouble: (reason) => logger.warn({ app: app.name, reason }, 'identity provider unavailable for a header credential'),
  });
  return headerAuth.intercept ? [...session, header] : [header, ...session];
}

/**
 * One limiter for every application: a client guessing passwords across applications counts
 * once per address, and per username per identity provider (the issuer scopes the name).
 */
function loginThrottleFor(deps: WiringDeps): LoginThrottle | undefined {
  const { failedLogins } = deps.config.limits;
  if (!LoginThrottle.enabled(failedLogins)) {
    return undefined;
  }
  return new LoginThrottle({
    store: deps.sessions,
    secret: deps.config.secret,
    limits: failedLogins,
    storeRetryAfterSeconds: STORE_RETRY_AFTER_SECONDS,
    onStoreTrouble: (error) =>
      deps.logger.warn({ err: messageOf(error) }, 'failed-login limits: the session store did not answer'),
  });
}

function metaFor(app: ApplicationConfig, outpostName: string, idps: IdpDirectory): OutpostMeta {
  const provider = idps.forApplication(app.name);
  return {
    application: app.slug,
    outpost: outpostName,
    provider: app.providerName,
    // Known once discovery has run; the getter keeps the header current without a per-request lookup.
    get jwks() {
      return provider.jwksUri ?? '';
    },
    version: OUTPOST_USER_AGENT,
  };
}
