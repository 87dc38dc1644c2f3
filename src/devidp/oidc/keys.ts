import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK, JWTVerifyGetKey } from 'jose';

import type { SignJwtOptions } from '../types.js';

const ALG = 'RS256';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/**
 * The IdP's signing keys. The first key signs; the rest are only published so that tokens
 * signed before a rotation still verify. oidc-provider takes keys at construction, so a
 * rotation means building a new Provider from `privateJwks()`.
 */
export class KeyRing {
  #keys: readonly SigningKey[];
  #verifier: JWTVerifyGetKey;

  private constructor(first: SigningKey) {
    this.#keys = [first];
    this.#verifier = localVerifier(this.#keys);
  }

  static async create(): Promise<KeyRing> {
    return new KeyRing(await newSigningKey());
  }

  async rotate(keepPrevious: boolean): Promise<void> {
    const fresh = await newSigningKey();
    const current = this.#keys[0];
    this.#keys = keepPrevious && current !== undefined ? [fresh, current] : [fresh];
    this.#verifier = localVerifier(this.#keys);
  }

  /** For oidc-provider's `jwks` option; the signing key comes first because oidc-provider signs with the first match. */
  privateJwks(): { keys: JWK[] } {
    return { keys: this.#keys.map((k) => ({ ...k.privateJwk })) };
  }

  kids(): readonly string[] {
    return this.#keys.map((k) => k.kid);
  }

  /** Resolves verification keys from the published set only: a dropped key verifies nothing. */
  get verifier(): JWTVerifyGetKey {
    return this.#verifier;
  }

  async sign(payload: Readonly<Record<string, unknown>>, options: SignJwtOptions = {}): Promise<string> {
    const signer = options.foreignKey ? await newSigningKey() : this.#current();
    const kid = options.kid ?? this.#current().kid;
    return new SignJWT({ ...payload })
      .setProtectedHeader({ alg: ALG, typ: options.typ ?? 'at+jwt', kid })
      .sign(signer.privateKey);
  }

  #current(): SigningKey {
    const key = this.#keys[0];
    if (key === undefined) throw new Error('the key ring is empty');
    return key;
  }
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const meta = { kid, alg: ALG, use: 'sig' };
  return {
    kid,
    privateKey,
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwk: { ...publicJwk, ...meta },
  };
}

function localVerifier(keys: readonly SigningKey[]): JWTVerifyGetKey {
  return createLocalJWKSet({ keys: keys.map((k) => k.publicJwk) });
}
