/**
 * Everything an application needs on the request path, computed once at start-up:
 * compiled skip rules, challenge strings, the upstream header plan, the login URL base.
 */

import type { ApplicationConfig } from '../config/index.js';
import { basicChallenge, bearerChallenge, type Authenticator, type Identity } from '../auth/index.js';
import { compileSkipPaths, type ApplicationPolicy, type SkipPathMatcher } from '../policy/index.js';
import { prepareUpstreamPlan, type OutpostMeta, type RefusedHeader, type UpstreamHeaderPlan } from '../upstream/index.js';
import type { LoginRuntime } from './login/index.js';
import { BUILT_IN_PAGES, type PageTemplates } from './pages.js';

export interface PreparedApplication {
  readonly config: ApplicationConfig;
  readonly name: string;
  /** `externalHost` as an origin, e.g. `https://grafana.example.com`. */
  readonly origin: string;
  readonly skipPaths: SkipPathMatcher;
  /** The application's policy bindings, following reloads of the policy files. */
  readonly policy: ApplicationPolicy;
  readonly authenticators: readonly Authenticator[];
  readonly challenges: {
    readonly status: 401 | 407;
    readonly header: 'www-authenticate' | 'proxy-authenticate';
    /** Challenges for a request without credentials. */
    readonly missing: readonly string[];
    /** Challenges after an invalid Bearer token (RFC 6750 §3.1 `invalid_token`). */
    readonly invalidBearer: readonly string[];
    /** A malformed Bearer request (RFC 6750 §3.1): answered 400 with these. */
    readonly invalidRequest: readonly string[];
    /** Challenges after a policy denial of a Bearer caller (`insufficient_scope`). */
    readonly insufficientScope: readonly string[];
  };
  readonly upstream: {
    /** Origin of `internalHost`, or null outside proxy mode. */
    readonly origin: string | null;
    /** Base path of `internalHost` without trailing slash ('' for none). */
    readonly basePath: string;
    readonly plan: UpstreamHeaderPlan;
  };
  readonly startPath: string;
  /** Portcullis's session cookie for this application, removed from what the upstream sees. */
  readonly sessionCookieName: string;
  /** The pages shown to browsers (built-in, or `pagesDir`'s). */
  readonly pages: PageTemplates;
  /** The browser login flow's runtime; null only in unit tests that need no endpoints. */
  readonly login: LoginRuntime | null;
}

export const START_PATH = '/outpost.goauthentik.io/start';
export const CALLBACK_PATH = '/outpost.goauthentik.io/callback';

export interface ApplicationDeps {
  readonly authenticators: readonly Authenticator[];
  readonly meta: OutpostMeta;
  readonly sessionCookieName: string;
  readonly policy: ApplicationPolicy;
  readonly login?: LoginRuntime;
  readonly pages?: PageTemplates;
  readonly onRefusedHeaders?: (identity: Identity, refused: readonly RefusedHeader[]) => void;
}

export function prepareApplication(config: ApplicationConfig, { authenticators, meta, sessionCookieName, policy, login, pages, onRefusedHeaders }: ApplicationDeps): PreparedApplication {
  const { headerAuth } = config;
  const realm = config.name;
  const basic = headerAuth.basic ? [basicChallenge(realm)] : [];
  const bearer = (error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope') => (headerAuth.bearer ? [bearerChallenge(realm, error)] : []);
  const proxyHeader = headerAuth.header === 'proxy-authorization';
  const internal = config.internalHost === null ? null : new URL(config.internalHost);
  return {
    config,
    name: config.name,
    origin: new URL(config.externalHost).origin,
    skipPaths: compileSkipPaths(config.skipPathRegex, { urlScheme: config.mode === 'forward_domain' ? new URL(config.externalHost).protocol : null }),
    policy,
    authenticators,
    challenges: {
      status: proxyHeader ? 407 : 401,
      header: proxyHeader ? 'proxy-authenticate' : 'www-authenticate',
      missing: [...basic, ...bearer()],
      invalidBearer: [...basic, ...bearer('invalid_token')],
      invalidRequest: [...basic, ...bearer('invalid_request')],
      insufficientScope: bearer('insufficient_scope'),
    },
    upstream: {
      origin: internal === null ? null : internal.origin,
      basePath: internal === null ? '' : internal.pathname.replace(/\/+$/, ''),
      plan: prepareUpstreamPlan(config, meta, onRefusedHeaders),
    },
    startPath: START_PATH,
    sessionCookieName,
    pages: pages ?? BUILT_IN_PAGES,
    login: login ?? null,
  };
}
