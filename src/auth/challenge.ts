/**
 * Challenge formatting for `WWW-Authenticate` / `Proxy-Authenticate`.
 *
 * @see RFC 9110 §11.2 (auth-param values as quoted-string), §5.6.4 (quoted-string escaping)
 * @see RFC 7617 §2 (Basic, `charset="UTF-8"`), RFC 6750 §3 (Bearer, error codes)
 */

export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/** Quotes a value as an RFC 9110 quoted-string, escaping `"` and `\`. */
export function quoteString(value: string): string {
  return `"${value.replace(/["\\]/g, (ch) => `\\${ch}`)}"`;
}

export interface ChallengeParam {
  readonly name: string;
  readonly value: string;
}

export function formatChallenge(scheme: string, params: readonly ChallengeParam[]): string {
  if (params.length === 0) {
    return scheme;
  }
  return `${scheme} ${params.map((p) => `${p.name}=${quoteString(p.value)}`).join(', ')}`;
}

export function basicChallenge(realm: string): string {
  return formatChallenge('Basic', [
    { name: 'realm', value: realm },
    { name: 'charset', value: 'UTF-8' },
  ]);
}

export function bearerChallenge(realm: string, error?: BearerErrorCode, description?: string): string {
  const params: ChallengeParam[] = [{ name: 'realm', value: realm }];
  if (error !== undefined) {
    params.push({ name: 'error', value: error });
  }
  if (description !== undefined) {
    // error_description is restricted to visible ASCII minus `"` and `\` (RFC 6750 §3).
    params.push({ name: 'error_description', value: description.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '') });
  }
  return formatChallenge('Bearer', params);
}
