import { randomUUID, X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

/** A certificate-key pair as authentik's crypto API describes it. */
export interface Keypair {
  /** `kp_uuid`: what a provider's `certificate` field names. */
  readonly pk: string;
  readonly name: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** Lowercase hex with colons, as authentik formats it. */
  readonly fingerprintSha256: string;
  readonly fingerprintSha1: string;
  /** ISO 8601, seconds precision. */
  readonly expiry: string;
  /** RFC 4514 (`CN=app.localhost`). */
  readonly subject: string;
  /** authentik's KeyTypeEnum: `rsa`, `ec`, `ed25519`, `ed448`. */
  readonly keyType: string;
}

/** A PEM pair that cannot serve: unreadable, not PEM, or a key that does not match the certificate. */
export class KeypairProblem extends Error {
  override readonly name = 'KeypairProblem';
  /** Which of the two files is at fault. */
  readonly file: 'certificateFile' | 'keyFile';

  constructor(file: 'certificateFile' | 'keyFile', message: string) {
    super(message);
    this.file = file;
  }
}

/**
 * The keypairs of the outpost's providers, loaded from PEM files (no X.509 generator ships
 * with Node or the installed packages). Each pair of files is loaded once and keeps its UUID
 * for the IdP's lifetime, so two providers naming the same files share one keypair.
 */
export class KeypairStore {
  readonly #byFiles = new Map<string, Keypair>();
  readonly #byPk = new Map<string, Keypair>();

  /** Throws KeypairProblem. */
  async load(certificateFile: string, keyFile: string): Promise<Keypair> {
    const key = JSON.stringify([certificateFile, keyFile]);
    const known = this.#byFiles.get(key);
    if (known !== undefined) return known;
    const keypair = describeKeypair(await readPem('certificateFile', certificateFile), await readPem('keyFile', keyFile), certificateFile);
    this.#byFiles.set(key, keypair);
    this.#byPk.set(keypair.pk, keypair);
    return keypair;
  }

  forFiles(certificateFile: string, keyFile: string): Keypair | undefined {
    return this.#byFiles.get(JSON.stringify([certificateFile, keyFile]));
  }

  get(pk: string): Keypair | undefined {
    return this.#byPk.get(pk);
  }
}

async function readPem(file: 'certificateFile' | 'keyFile', path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new KeypairProblem(file, `cannot read "${path}": ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

function describeKeypair(certificatePem: string, privateKeyPem: string, certificateFile: string): Keypair {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    throw new KeypairProblem('certificateFile', `"${certificateFile}" is not a PEM X.509 certificate`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch {
    throw new KeypairProblem('keyFile', 'not an unencrypted PEM private key');
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new KeypairProblem('keyFile', 'the private key does not belong to the certificate');
  return {
    pk: randomUUID(),
    name: basename(certificateFile),
    certificatePem,
    privateKeyPem,
    fingerprintSha256: certificate.fingerprint256.toLowerCase(),
    fingerprintSha1: certificate.fingerprint.toLowerCase(),
    expiry: new Date(certificate.validTo).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    // Node lists the most significant RDN first, one per line; RFC 4514 writes them in reverse, comma-separated.
    subject: certificate.subject.split('\n').reverse().join(','),
    keyType: (privateKey.asymmetricKeyType ?? 'rsa').replace(/^rsa-pss$/, 'rsa'),
  };
}
