/**
 * The request pipeline of DESIGN.md §2 for a protected path: skip rules, authentication,
 * then the outcome. Shared by proxy mode and every forward-auth flavour.
 */

import { authenticate, type AuthResult, type Identity } from '../auth/index.js';
import type { PreparedApplication } from './application.js';
import type { Outcome } from './outcome.js';
import type { RequestFacts } from './request-facts.js';

const ALLOW_ANONYMOUS: Outcome = Object.freeze({ kind: 'allow', identity: null, setCookies: Object.freeze([]) });

export async function decide(app: PreparedApplication, facts: RequestFacts): Promise<Outcome> {
  if (app.skipPaths.matches(facts.path, facts.host)) {
    return skipPathOutcome(app, facts);
  }
  const result = await authenticate(app.authenticators, facts);
  return result.kind === 'identity' ? authorize(app, facts, result.identity, result.setCookies) : outcomeOf(app, facts, result);
}

/**
 * A skip path needs no identity, but one the request carries is passed on (DESIGN.md §5), as
 * authentik does: apps personalise public pages. No credential, no cost; any failure to
 * establish one is an anonymous request, never a refusal.
 */
async function skipPathOutcome(app: PreparedApplication, facts: RequestFacts): Promise<Outcome> {
  if (facts.credentialHeader === undefined && facts.cookieHeader === undefined) {
    return ALLOW_ANONYMOUS;
  }
  const result = await authenticate(app.authenticators, facts);
  return result.kind === 'identity' ? { kind: 'allow', identity: result.identity, setCookies: result.setCookies } : ALLOW_ANONYMOUS;
}

/** The application's policies over an established identity (DESIGN.md §7). */
function authorize(app: PreparedApplication, facts: RequestFacts, identity: Identity, setCookies: readonly string[]): Outcome {
  const decision = app.policy.evaluate(identity, { method: facts.method, path: facts.path, host: facts.host, ip: facts.clientIp });
  if (decision.allow) {
    return { kind: 'allow', identity, setCookies };
  }
  // RFC 6750 §3.1: a Bearer caller whose token is fine but not enough gets insufficient_scope.
  return {
    kind: 'deny',
    header: app.challenges.header,
    challenges: identity.method === 'bearer' ? app.challenges.insufficientScope : [],
    reasons: decision.reasons,
  };
}

export function outcomeOf(app: PreparedApplication, facts: RequestFacts, result: AuthResult): Outcome {
  switch (result.kind) {
    case 'identity':
      return { kind: 'allow', identity: result.identity, setCookies: result.setCookies };
    case 'unavailable':
      return { kind: 'unavailable', retryAfterSeconds: result.retryAfterSeconds, reason: result.reason };
    case 'throttled':
      return { kind: 'throttled', retryAfterSeconds: result.retryAfterSeconds };
    case 'invalid':
      if (result.bearerError === 'invalid_request') {
        return { kind: 'challenge', status: 400, header: app.challenges.header, challenges: app.challenges.invalidRequest, reason: 'malformed' };
      }
      return challenge(app, 'invalid', result.bearerError === 'invalid_token' ? app.challenges.invalidBearer : app.challenges.missing);
    case 'none':
      return shouldRedirect(app, facts) ? login(app, facts) : challenge(app, 'missing', app.challenges.missing);
  }
}

function shouldRedirect(app: PreparedApplication, facts: RequestFacts): boolean {
  if (facts.noRedirect) {
    return false;
  }
  return facts.wantsHtml || !app.config.redirectBrowsersOnly;
}

function login(app: PreparedApplication, facts: RequestFacts): Outcome {
  // The return target is built from externalHost, never from the Host header, so a forged
  // Host cannot turn the login redirect into an open redirect.
  const target = `${app.origin}${facts.path}${facts.query}`;
  return { kind: 'login', location: `${app.origin}${app.startPath}?rd=${encodeURIComponent(target)}` };
}

function challenge(app: PreparedApplication, reason: 'missing' | 'invalid', challenges: readonly string[]): Outcome {
  return { kind: 'challenge', status: app.challenges.status, header: app.challenges.header, challenges, reason };
}
