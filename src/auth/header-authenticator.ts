/**
 * Authentication by the credential header (`Authorization`, or `Proxy-Authorization` in that
 * mode): Basic app passwords exchanged at the IdP's token endpoint, Bearer access tokens
 * validated against the IdP's keys. Successful checks are cached (credential-cache.ts);
 * concurrent identical checks share one IdP call.
 *
 * `headerAuth.intercept` decides who owns the header. With `true`, a Basic or Bearer
 * credential that fails is answered with a challenge. With `false`, a credential that is not
 * Portcullis's (one that fails, or a scheme it does not handle) is left for the upstream and
 * the session or login flow decides. A malformed header is always answered with a challenge.
 *
 * Basic passwords that would go to the IdP first pass the failed-login limits
 * (login-throttle.ts). A credential already known good (cached) or recently refused is
 * answered from memory and never counted: only new guesses cost the IdP a call, and only they
 * can be throttled.
 */

import type { HeaderAuthConfig, IdentityConfig } from '../config/index.js';
import { exchangePassword, verifyIdTokenSignature, type IdentityProvider, type TokenChecker, type VerifiedToken, type Verdict } from '../idp/index.js';
import type { AuthResult, Authenticator, CredentialFacts } from './authenticate.js';
import { identityFromClaims } from './claims.js';
import type { CredentialCache } from './credential-cache.js';
import { parseCredentials } from './credentials/index.js';
import type { AuthMethod, Identity } from './identity.js';
import type { Admission, LoginThrottle } from './login-throttle.js';
import type { SessionIssuer } from './session-issuer.js';
import { messageOf } from '../errors/index.js';

export interface HeaderAuthenticatorOptions {
  /** The application name: credentials are cached per application. */
  readonly application: string;
  readonly headerAuth: HeaderAuthConfig;
  readonly identity: IdentityConfig;
  readonly provider: IdentityProvider;
  readonly tokens: TokenChecker;
  readonly cache: CredentialCache;
  /** Seconds a client is told to wait when the IdP could not be asked. */
  readonly retryAfterSeconds: number;
  readonly onIdpTrouble?: (reason: string) => void;
  /** Hands out a session cookie after a successful check; absent, no cookie is set. */
  readonly sessions?: SessionIssuer;
  /** Failed-login limits for Basic passwords; absent, attempts are not limited. */
  readonly throttle?: LoginThrottle;
}

type Admit = () => Promise<Admission>;

const NONE: AuthResult = Object.freeze({ kind: 'none' });

/**
 * The IdP accepted the password but issued a token Portcullis cannot validate: a configuration
 * problem between the two, never "wrong password".
 */
function asConfigurationProblem(verdict: Extract<Verdict<unknown>, { ok: false }>): Verdict<never> {
  return verdict.kind === 'invalid' ? { ok: false, kind: 'unavailable', reason: `the tokens issued for an app password did not validate: ${verdict.reason}` } : verdict;
}

function refused(scheme: 'basic' | 'bearer'): AuthResult {
  return scheme === 'bearer' ? { kind: 'invalid', scheme, bearerError: 'invalid_token' } : { kind: 'invalid', scheme };
}

export class HeaderAuthenticator implements Authenticator {
  readonly name = 'header';
  readonly #options: HeaderAuthenticatorOptions;

  constructor(options: HeaderAuthenticatorOptions) {
    this.#options = options;
  }

  async authenticate(facts: CredentialFacts): Promise<AuthResult> {
    const { headerAuth } = this.#options;
    const parsed = parseCredentials(facts.credentialHeader);
    if (parsed === null || parsed.kind === 'other') {
      return NONE;
    }
    if (parsed.kind === 'malformed') {
      // Malformed is answered whatever `intercept` says: passing it on would let something
      // like `Negotiate x, Bearer forged` reach the upstream unchecked.
      // RFC 6750 §3.1: a malformed Bearer request (no token, two credentials, bad syntax) is
      // invalid_request (400), not a verdict on a token.
      return parsed.scheme === 'bearer' ? { kind: 'invalid', scheme: 'bearer', bearerError: 'invalid_request' } : { kind: 'invalid', scheme: parsed.scheme };
    }
    if (!this.#handles(parsed.kind)) {
      return NONE;
    }
    const result =
      parsed.kind === 'basic'
        ? await this.#cached('basic', `basic\u0000${parsed.username}\u0000${parsed.password}`, () => this.#checkAppPassword(parsed.username, parsed.password), this.#admitter(parsed.username, facts.clientIp))
        : await this.#cached('bearer', `bearer\u0000${parsed.token}`, () => this.#checkToken(parsed.token, 'bearer'));
    if (result.kind === 'invalid' && !headerAuth.intercept) {
      return NONE;
    }
    return result;
  }

  #handles(scheme: 'basic' | 'bearer' | 'unknown'): boolean {
    const { headerAuth } = this.#options;
    return (scheme === 'basic' && headerAuth.basic) || (scheme === 'bearer' && headerAuth.bearer);
  }

  #admitter(username: string, clientIp: string | undefined): Admit | undefined {
    const { throttle, identity } = this.#options;
    return throttle === undefined ? undefined : () => throttle.admit(identity.issuer, username, clientIp ?? '');
  }

  async #cached(scheme: 'basic' | 'bearer', credential: string, check: () => Promise<Verdict<Identity>>, admit?: Admit): Promise<AuthResult> {
    const { cache, application, sessions } = this.#options;
    const key = cache.keyOf(application, credential);
    const hit = cache.get(key);
    if (hit !== undefined) {
      return { kind: 'identity', identity: hit.identity, setCookies: hit.setCookie === null ? [] : [hit.setCookie] };
    }
    if (cache.refusedRecently(key)) {
      return refused(scheme);
    }
    // Inside `coalesce`: concurrent requests with one credential are one attempt, counted once.
    const verdict = await cache.coalesce(key, async () => {
      const admission = admit === undefined ? undefined : await admit();
      if (admission !== undefined && !admission.ok) {
        return admission;
      }
      const fresh = await check();
      if (!fresh.ok) {
        if (fresh.kind === 'invalid') {
          cache.rememberRefusal(key);
        } else {
          // The IdP could not be asked: that is no failed login.
          await admission?.ticket.notFailed();
        }
        return fresh;
      }
      await admission?.ticket.notFailed();
      const setCookie = sessions === undefined ? null : await sessions.issue(fresh.value);
      cache.set(key, { identity: fresh.value, setCookie });
      return { ok: true as const, value: { identity: fresh.value, setCookie } };
    });
    if (verdict.ok) {
      const { identity, setCookie } = verdict.value;
      return { kind: 'identity', identity, setCookies: setCookie === null ? [] : [setCookie] };
    }
    if (verdict.kind === 'throttled') {
      return { kind: 'throttled', retryAfterSeconds: verdict.retryAfterSeconds };
    }
    if (verdict.kind === 'store-unavailable') {
      // The session store could not count the attempt (the limiter reported it): no IdP call.
      return { kind: 'unavailable', retryAfterSeconds: verdict.retryAfterSeconds, reason: verdict.reason };
    }
    if (verdict.kind === 'unavailable') {
      this.#options.onIdpTrouble?.(verdict.reason);
      return { kind: 'unavailable', retryAfterSeconds: this.#options.retryAfterSeconds, reason: verdict.reason };
    }
    return refused(scheme);
  }

  async #checkAppPassword(username: string, password: string): Promise<Verdict<Identity>> {
    const { provider, identity } = this.#options;
    let configuration;
    try {
      configuration = await provider.configuration();
    } catch (error) {
      return { ok: false, kind: 'unavailable', reason: messageOf(error) };
    }
    const exchanged = await exchangePassword(configuration, { grant: identity.basicGrant, username, password, scopes: identity.scopes });
    if (!exchanged.ok) {
      return exchanged;
    }
    const { accessToken, idToken } = exchanged.value;
    if (idToken !== undefined) {
      const signature = await verifyIdTokenSignature(provider, idToken);
      if (!signature.ok) return asConfigurationProblem(signature);
    }
    // X-authentik-jwt carries the ID token after Basic, as authentik's outposts send it.
    const checked = await this.#checkToken(accessToken, 'basic', idToken ?? accessToken);
    return checked.ok ? checked : asConfigurationProblem(checked);
  }

  async #checkToken(token: string, method: AuthMethod, forwarded = token): Promise<Verdict<Identity>> {
    const verdict: Verdict<VerifiedToken> = await this.#options.tokens.check(token);
    if (!verdict.ok) {
      return verdict;
    }
    const identity = identityFromClaims(this.#options.identity.claims, {
      claims: verdict.value.claims,
      token: forwarded,
      method,
      expiresAt: verdict.value.expiresAt,
    });
    return { ok: true, value: identity };
  }
}
