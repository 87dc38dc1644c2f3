import { PortcullisError } from '../../errors/index.js';
import type { DevGroup, DevUser, JsonValue, UsersFile } from '../types.js';
import { userClaims } from './claims.js';
import { decoyHash, verifyPassword } from './passwords.js';

export type CredentialKind = 'login' | 'app_password';

/**
 * The users file plus the runtime state tests flip (active flags, revoked app passwords).
 * The file itself stays immutable; the state lives here and nowhere else.
 */
export class UserDirectory {
  readonly #byUsername = new Map<string, DevUser>();
  readonly #byUid = new Map<string, DevUser>();
  readonly #groups: ReadonlyMap<string, DevGroup>;
  readonly #inactive = new Set<string>();
  readonly #revokedAppPasswords = new Set<string>();

  constructor(file: UsersFile) {
    for (const user of file.users) {
      this.#byUsername.set(user.username, user);
      this.#byUid.set(user.uid, user);
      if (!user.active) this.#inactive.add(user.username);
    }
    this.#groups = new Map(file.groups.map((g) => [g.name, g]));
  }

  /** Active users only: a deactivated user is as good as unknown to every grant and endpoint. */
  activeByUid(uid: string): DevUser | undefined {
    const user = this.#byUid.get(uid);
    return user !== undefined && this.isActive(user) ? user : undefined;
  }

  isActive(user: DevUser): boolean {
    return !this.#inactive.has(user.username);
  }

  setActive(username: string, active: boolean): void {
    const user = this.#require(username);
    if (active) this.#inactive.delete(user.username);
    else this.#inactive.add(user.username);
  }

  revokeAppPassword(username: string, name: string): void {
    const user = this.#require(username);
    if (!user.appPasswords.some((a) => a.name === name)) {
      throw new PortcullisError('PCL_DEVIDP_UNKNOWN_USER', `user "${username}" has no app password named "${name}"`);
    }
    this.#revokedAppPasswords.add(appPasswordKey(username, name));
  }

  claims(user: DevUser): Record<string, JsonValue> {
    return userClaims(user, this.#groups);
  }

  /** The user's `sub`; throws PCL_DEVIDP_UNKNOWN_USER. */
  uidOf(username: string): string {
    return this.#require(username).uid;
  }

  claimsOf(username: string): Record<string, JsonValue> {
    return this.claims(this.#require(username));
  }

  /**
   * Checks a username and password against the accepted kinds of credential. Every failure
   * (unknown user, inactive, wrong or revoked password) returns the same undefined, and every
   * attempt costs at least one scrypt, so an unknown username is not answered noticeably faster.
   */
  async authenticate(username: string, password: string, kinds: readonly CredentialKind[]): Promise<DevUser | undefined> {
    const user = this.#byUsername.get(username);
    const hashes = user === undefined ? [] : this.#candidateHashes(user, kinds);
    if (hashes.length === 0) {
      await verifyPassword(password, decoyHash());
      return undefined;
    }
    const results = await Promise.all(hashes.map((hash) => verifyPassword(password, hash)));
    return user !== undefined && results.includes(true) && this.isActive(user) ? user : undefined;
  }

  #candidateHashes(user: DevUser, kinds: readonly CredentialKind[]): string[] {
    const hashes: string[] = [];
    if (kinds.includes('login') && user.password !== undefined) hashes.push(user.password);
    if (kinds.includes('app_password')) {
      for (const app of user.appPasswords) {
        if (!this.#revokedAppPasswords.has(appPasswordKey(user.username, app.name))) hashes.push(app.hash);
      }
    }
    return hashes;
  }

  #require(username: string): DevUser {
    const user = this.#byUsername.get(username);
    if (user === undefined) throw new PortcullisError('PCL_DEVIDP_UNKNOWN_USER', `no user "${username}" in the users file`);
    return user;
  }
}

function appPasswordKey(username: string, name: string): string {
  return JSON.stringify([username, name]);
}
