/**
 * Decisions as values. `decide` returns one of these for every protected request; the
 * renderers (proxy mode here, forward-auth flavours later) are the only code that turns
 * them into status codes and headers.
 */

import type { Identity } from '../auth/index.js';

export type Outcome =
  /** Let the request through; `identity` is null on skip paths. */
  | { readonly kind: 'allow'; readonly identity: Identity | null; readonly setCookies: readonly string[] }
  /** Send the browser to the login flow, remembering where it wanted to go. */
  | { readonly kind: 'login'; readonly location: string }
  /**
   * No or bad credentials for an API client: 401/407 with challenges; a malformed Bearer
   * request is a 400 with `error="invalid_request"` (RFC 6750 §3.1).
   */
  | {
      readonly kind: 'challenge';
      readonly status: 400 | 401 | 407;
      readonly header: 'www-authenticate' | 'proxy-authenticate';
      readonly challenges: readonly string[];
      readonly reason: 'missing' | 'invalid' | 'malformed';
    }
  /**
   * Authenticated, but a policy said no; `reasons` name the bindings that denied (for logs).
   * Bearer callers get `insufficient_scope` in the application's challenge header.
   */
  | {
      readonly kind: 'deny';
      readonly header: 'www-authenticate' | 'proxy-authenticate';
      readonly challenges: readonly string[];
      readonly reasons: readonly string[];
    }
  /** A dependency (IdP, session store) could not answer: never reported as bad credentials. */
  | { readonly kind: 'unavailable'; readonly retryAfterSeconds: number; readonly reason: string }
  /** Too many failed logins for the username or the client address: 429, the IdP was not asked. */
  | { readonly kind: 'throttled'; readonly retryAfterSeconds: number }
  /** The request itself is unacceptable (bad path, unknown host, wrong mode). */
  | { readonly kind: 'reject'; readonly status: 400 | 404 | 405; readonly error: string; readonly message: string };

export type OutcomeKind = Outcome['kind'];
