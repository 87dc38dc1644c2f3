import type { MalformedReason } from './reasons.js';

/**
 * What a credential header (`Authorization` or `Proxy-Authorization`) holds.
 *
 * - `basic`: a well-formed RFC 7617 user-id/password pair.
 * - `bearer`: a well-formed RFC 6750 b64token, from `Bearer` or from Basic with the reserved
 *   user-id `goauthentik.io/token`.
 * - `other`: a scheme Portcullis does not own (Digest, Negotiate, AWS4-HMAC-SHA256…), `scheme` as
 *   written. Its parameters are not validated beyond being a header-safe field value with no second
 *   credential joined to it; with `intercept: false` it is passed upstream untouched.
 * - `malformed`: `scheme` is `basic` or `bearer` when the header named one of them (whatever the
 *   case), else `unknown` (no recognisable scheme, or a list with no Portcullis scheme first).
 */
export type ParsedCredentials =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'other'; readonly scheme: string }
  | { readonly kind: 'malformed'; readonly scheme: 'basic' | 'bearer' | 'unknown'; readonly reason: MalformedReason };
