import { createHash, timingSafeEqual } from 'node:crypto';

/** How a request's `Authorization` header measures up against the outpost token. */
export type TokenVerdict = 'accepted' | 'wrong' | 'refused';

/**
 * Checks `Authorization: Bearer <token>` the way authentik's API does (the scheme is matched
 * case-insensitively). `refused` is the right token while a test has it revoked.
 */
export class OutpostToken {
  readonly #digest: Buffer;
  #refused = false;

  constructor(token: string) {
    this.#digest = digest(token);
  }

  refuse(on: boolean): void {
    this.#refused = on;
  }

  judge(authorization: string | undefined): TokenVerdict {
    const match = /^bearer +(.+)$/i.exec(authorization ?? '');
    // Digests have one length, so the comparison takes the same time for every wrong token.
    const right = match?.[1] !== undefined && timingSafeEqual(digest(match[1].trim()), this.#digest);
    if (!right) return 'wrong';
    return this.#refused ? 'refused' : 'accepted';
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
