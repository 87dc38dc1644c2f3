/**
 * Brute-force protection for Basic credentials (`limits.failedLogins`): failed checks are
 * counted per canonical username and per client address over a sliding window, in the session
 * store, so every replica sharing a Redis store shares the counts. Over a limit, an attempt is
 * answered 429 without asking the IdP.
 *
 * The store offers one counting operation, `hit`: an atomic "add one and tell me the count"
 * with no read-only variant. Failures are therefore counted as attempts minus non-failures,
 * with two counters per subject:
 *
 *   tries   one hit per attempt, before the IdP is asked;
 *   credits one hit per attempt too, plus one more when the attempt turns out not to be a
 *           failure (the IdP accepted it, could not be asked, or the limiter stopped it).
 *
 * so `failures = tries − (credits − tries) = 2·tries − credits`. An attempt counts as a failure
 * from the moment it is admitted until it is settled, which is what makes the limit hold
 * against a burst of parallel guesses: each one is counted, atomically, before any of them
 * reaches the IdP. An attempt the limiter stops is credited back, so hammering a limited
 * account does not prolong its lockout (and costs the IdP nothing).
 *
 * Nothing is kept in this process: the memory store bounds its counters (least recently used
 * go first), Redis expires them after two windows. Keys are HMACs under `secret`, so the store
 * never holds a username or an address in plaintext.
 */

import { createHmac } from 'node:crypto';
import type { FailedLoginsConfig } from '../config/index.js';
import { isSessionStoreUnavailable, type SessionStore } from '../sessions/index.js';
import { canonicalAddress, canonicalUsername } from './throttle-keys.js';

export interface LoginThrottleOptions {
  readonly store: Pick<SessionStore, 'hit'>;
  readonly secret: string;
  readonly limits: FailedLoginsConfig;
  /** Seconds a client is asked to wait when the store could not count its attempt. */
  readonly storeRetryAfterSeconds: number;
  readonly onStoreTrouble?: (error: unknown) => void;
}

/** Lets an admitted attempt be settled once the IdP has answered. */
export interface AttemptTicket {
  /** The attempt was not a failed login (accepted, or the IdP could not be asked): credit it back. */
  notFailed(): Promise<void>;
}

export type Admission =
  | { readonly ok: true; readonly ticket: AttemptTicket }
  | { readonly ok: false; readonly kind: 'throttled'; readonly retryAfterSeconds: number }
  | { readonly ok: false; readonly kind: 'store-unavailable'; readonly retryAfterSeconds: number; readonly reason: string };

interface Subject {
  readonly key: string;
  readonly limit: number;
}

export class LoginThrottle {
  readonly #options: LoginThrottleOptions;
  readonly #retryAfterSeconds: number;

  constructor(options: LoginThrottleOptions) {
    this.#options = options;
    this.#retryAfterSeconds = Math.max(1, Math.ceil(options.limits.windowMs / 1000));
  }

  /** Whether any limit is on; with none, wiring does not install the limiter at all. */
  static enabled(limits: FailedLoginsConfig): boolean {
    return limits.perUser > 0 || limits.perAddress > 0;
  }

  /**
   * Counts an attempt to check `username`'s password from `clientAddress` against the limits,
   * before the IdP is asked. `scope` separates identity providers (the issuer): the same name
   * at two IdPs is two accounts. The address is checked first, so a client already over its own
   * limit cannot churn the per-user counters of the names it tries.
   */
  async admit(scope: string, username: string, clientAddress: string): Promise<Admission> {
    const { perAddress, perUser } = this.#options.limits;
    const subjects: Subject[] = [];
    if (perAddress > 0) subjects.push({ key: this.#key('address', canonicalAddress(clientAddress)), limit: perAddress });
    if (perUser > 0) subjects.push({ key: this.#key('user', `${scope}\n${canonicalUsername(username)}`), limit: perUser });
    const counted: Subject[] = [];
    try {
      for (const subject of subjects) {
        counted.push(subject);
        if (await this.#count(subject)) {
          await Promise.all(counted.map((s) => this.#credit(s)));
          return { ok: false, kind: 'throttled', retryAfterSeconds: this.#retryAfterSeconds };
        }
      }
    } catch (error) {
      if (!isSessionStoreUnavailable(error)) throw error;
      // Fail closed: without the store there is no shared count, and guessing would be unlimited.
      this.#options.onStoreTrouble?.(error);
      return { ok: false, kind: 'store-unavailable', retryAfterSeconds: this.#options.storeRetryAfterSeconds, reason: error.message };
    }
    return { ok: true, ticket: { notFailed: () => this.#creditQuietly(counted) } };
  }

  /** Counts the attempt; true when it is over the subject's limit. */
  async #count(subject: Subject): Promise<boolean> {
    const { store, limits } = this.#options;
    // Both hits go out together: one store connection answers them in order, so the pair is
    // consistent with every other attempt from this process.
    const [tries, credits] = await Promise.all([store.hit(`${subject.key}:t`, limits.windowMs), store.hit(`${subject.key}:c`, limits.windowMs)]);
    // Failures in the window, this attempt included (it is a failure until settled).
    return 2 * tries - credits > subject.limit;
  }

  async #credit(subject: Subject): Promise<void> {
    await this.#options.store.hit(`${subject.key}:c`, this.#options.limits.windowMs);
  }

  async #creditQuietly(subjects: readonly Subject[]): Promise<void> {
    try {
      await Promise.all(subjects.map((s) => this.#credit(s)));
    } catch (error) {
      // The attempt stays counted as a failure: the safe side of a lost credit.
      if (!isSessionStoreUnavailable(error)) throw error;
      this.#options.onStoreTrouble?.(error);
    }
  }

  #key(kind: 'user' | 'address', value: string): string {
    const digest = createHmac('sha256', this.#options.secret).update(`portcullis failed-logins ${kind}\n`).update(value).digest('base64url');
    return `login-${kind}:${digest.slice(0, 22)}`;
  }
}
