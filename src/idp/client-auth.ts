/**
 * How this client proves itself at the IdP's token, introspection and revocation endpoints
 * (RFC 6749 §2.3, OpenID Connect Core §9): the method the configuration and the IdP's metadata
 * agree on, and for `private_key_jwt` the key that signs the assertions, read once at start-up.
 */

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { importPKCS8 } from 'jose';
import * as oauth from 'oauth4webapi';
import type { IdentityConfig } from '../config/index.js';
import { PortcullisError } from '../errors/index.js';

export type ClientAuthMethod = Exclude<IdentityConfig['clientAuth'], 'auto'>;

const SECRET_METHODS: readonly string[] = ['client_secret_basic', 'client_secret_post'];

/**
 * The configured method, or for `auto`: a public client (`none`) without a secret, else the first
 * secret method the IdP lists. An IdP that lists none of them is assumed to take
 * `client_secret_basic`: RFC 8414 §2 makes it the default of an absent list, and RFC 6749 §2.3.1
 * makes every server support it.
 */
export function chooseClientAuthMethod(configured: IdentityConfig['clientAuth'], clientSecret: string, supported: readonly string[] | undefined): ClientAuthMethod {
  if (configured !== 'auto') {
    return configured;
  }
  if (clientSecret === '') {
    return 'none';
  }
  const listed = (supported ?? []).find((method) => SECRET_METHODS.includes(method));
  return listed === 'client_secret_post' ? 'client_secret_post' : 'client_secret_basic';
}

/** The key of `identity.clientKeyFile`, with the JWS algorithm its type implies. */
export interface ClientKey {
  readonly file: string;
  readonly key: KeyObject;
  readonly alg: string;
  /** '' sends no `kid`. */
  readonly kid: string;
}

/**
 * Reads and parses the key synchronously, at start-up: a missing or unusable key is a
 * configuration mistake that must stop the start, not fail the first login.
 * @throws PortcullisError PCL_IDP_CLIENT_KEY naming the file
 */
export function readClientKey(file: string, kid: string): ClientKey {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : String(error);
    throw new PortcullisError('PCL_IDP_CLIENT_KEY', `identity.clientKeyFile "${file}" cannot be read (${reason})`, { cause: error });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    // The message never quotes the file: it would put a private key into the logs.
    throw new PortcullisError('PCL_IDP_CLIENT_KEY', `identity.clientKeyFile "${file}" holds no PEM private key`, { cause: error });
  }
  const alg = signingAlgorithm(key);
  if (alg === undefined) {
    throw new PortcullisError(
      'PCL_IDP_CLIENT_KEY',
      `identity.clientKeyFile "${file}": a ${key.asymmetricKeyType ?? 'secret'} key cannot sign client assertions (use RSA, EC P-256/P-384/P-521 or Ed25519)`,
    );
  }
  return { file, key, alg, kid };
}

function signingAlgorithm(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType === 'rsa') {
    return 'RS256';
  }
  if (key.asymmetricKeyType === 'ed25519') {
    return 'EdDSA';
  }
  if (key.asymmetricKeyType === 'ec') {
    const curves: Readonly<Record<string, string>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
    return curves[key.asymmetricKeyDetails?.namedCurve ?? ''];
  }
  return undefined;
}

/**
 * The request decorator of the method (oauth4webapi's, which openid-client uses too). The client
 * secret never goes to an IdP that was told `none` or `private_key_jwt`.
 */
export async function clientAuthentication(
  method: ClientAuthMethod,
  clientSecret: string,
  key: ClientKey | null,
  /** The IdP's `token_endpoint_auth_signing_alg_values_supported`. */
  signingAlgorithms: readonly string[] = [],
): Promise<oauth.ClientAuth> {
  switch (method) {
    case 'client_secret_basic':
      return oauth.ClientSecretBasic(clientSecret);
    case 'client_secret_post':
      return oauth.ClientSecretPost(clientSecret);
    case 'none':
      return oauth.None();
    case 'private_key_jwt': {
      if (key === null) {
        throw new PortcullisError('PCL_IDP_CLIENT_KEY', 'clientAuth private_key_jwt needs identity.clientKeyFile');
      }
      const pkcs8 = key.key.export({ type: 'pkcs8', format: 'pem' }).toString();
      const signingKey = await importPKCS8(pkcs8, key.alg);
      const alg = assertionAlgorithm(key.alg, signingAlgorithms);
      const signer = key.kid === '' ? signingKey : { key: signingKey, kid: key.kid };
      // OpenID Connect Core §9: the assertion's audience SHOULD be the token endpoint (some IdPs
      // accept nothing else); RFC 7523 also lets the issuer name the server.
      return (as, client, body, headers) =>
        oauth.PrivateKeyJwt(signer, {
          [oauth.modifyAssertion]: (header, payload) => {
            header.alg = alg;
            if (as.token_endpoint !== undefined) payload.aud = as.token_endpoint;
          },
        })(as, client, body, headers);
    }
  }
}

/**
 * oauth4webapi names Ed25519 signatures `Ed25519` (RFC 9864); most IdPs (oidc-provider 8,
 * Keycloak, authentik) only know the older `EdDSA` for the same signature. `Ed25519` is sent only
 * to an IdP that lists it and not `EdDSA`.
 */
function assertionAlgorithm(alg: string, supported: readonly string[]): string {
  if (alg !== 'EdDSA') {
    return alg;
  }
  return supported.includes('Ed25519') && !supported.includes('EdDSA') ? 'Ed25519' : 'EdDSA';
}
