/**
 * Sealing of session records for shared stores: AES-256-GCM under a key derived from `secret`
 * with HKDF-SHA256, so a Redis dump, replica or backup reveals neither tokens nor identities.
 * The session id is the additional authenticated data: a sealed record copied under another
 * id does not open.
 */

import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const ENCRYPTION_INFO = 'portcullis session v1';
const INDEX_INFO = 'portcullis session index v1';
const VERSION = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class RecordCipher {
  readonly #encryptionKey: Buffer;
  readonly #indexKey: Buffer;

  /** `purpose` separates keys: a value sealed for one purpose never opens for another. */
  constructor(secret: string, purpose: string = ENCRYPTION_INFO) {
    this.#encryptionKey = deriveKey(secret, purpose);
    this.#indexKey = deriveKey(secret, INDEX_INFO);
  }

  seal(id: string, plaintext: string): string {
    // Always the system CSPRNG, never an injected one: a repeated GCM nonce leaks the key stream.
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#encryptionKey, iv);
    cipher.setAAD(Buffer.from(id, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return VERSION + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The plaintext, or null when the value was not sealed by this secret for this id. */
  open(id: string, sealed: string): string | null {
    if (!sealed.startsWith(VERSION)) return null;
    const raw = Buffer.from(sealed.slice(VERSION.length), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#encryptionKey, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      return null; // authentication failed: tampered, or sealed under another secret
    }
  }

  /**
   * A stable opaque name for a user of an application, so Redis key names carry neither the
   * subject (personal data) nor delimiters an application name or sub could inject.
   */
  userDigest(application: string, sub: string): string {
    return createHmac('sha256', this.#indexKey).update(JSON.stringify([application, sub]), 'utf8').digest('base64url');
  }
}

function deriveKey(secret: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), info, 32));
}
