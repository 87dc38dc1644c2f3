/**
 * What a browser carries between `/start` and `/callback`: state, nonce, PKCE verifier and
 * the validated return target, sealed (AES-256-GCM, its own HKDF purpose) into a short-lived
 * cookie. Keeping it in the browser binds the login to that browser (a callback URL replayed
 * elsewhere has no cookie) and keeps replicas stateless. One cookie per login attempt, named
 * after the state, so logins in two tabs do not overwrite each other.
 */

import { createHash } from 'node:crypto';
import { RecordCipher } from './record-cipher.js';

export interface LoginState {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** The validated absolute URL to return to. */
  readonly returnTo: string;
  /** Epoch ms. */
  readonly createdAt: number;
}

export const LOGIN_STATE_MAX_AGE_MS = 10 * 60 * 1000;
const PURPOSE = 'portcullis login state v1';

export class LoginStateCodec {
  readonly #cipher: RecordCipher;

  constructor(secret: string) {
    this.#cipher = new RecordCipher(secret, PURPOSE);
  }

  /** The cookie that carries the login started with `state` (no state material in the name). */
  cookieName(sessionCookieName: string, state: string): string {
    return `${sessionCookieName}_login_${createHash('sha256').update(state).digest('hex').slice(0, 12)}`;
  }

  seal(application: string, login: LoginState): string {
    return this.#cipher.seal(aad(application, login.state), JSON.stringify(login));
  }

  /** The login started with `state` for `application`, or null (tampered, foreign, expired). */
  open(application: string, state: string, sealed: string, now: number): LoginState | null {
    const text = this.#cipher.open(aad(application, state), sealed);
    if (text === null) {
      return null;
    }
    try {
      const login = JSON.parse(text) as LoginState;
      if (login.state !== state || now - login.createdAt > LOGIN_STATE_MAX_AGE_MS || now < login.createdAt - 60_000) {
        return null;
      }
      return login;
    } catch {
      return null;
    }
  }
}

function aad(application: string, state: string): string {
  return `login\n${application}\n${state}`;
}
