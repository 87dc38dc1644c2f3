/**
 * Why a credential header was rejected. The names are stable codes (logged, counted in metrics,
 * asserted by tests): add new ones, never rename or reuse one.
 */
export const MALFORMED_REASONS = [
  /** The header value is longer than {@link MAX_CREDENTIALS_LENGTH}; nothing else was looked at. */
  'too_long',
  /** The header is present but empty or only whitespace. */
  'empty',
  /** A control character: in the raw header value, or in a decoded Basic user-id or password. */
  'control_character',
  /** Outside the RFC 9110 §11.4 grammar (no scheme token, a non-SP separator, non-octet characters). */
  'syntax',
  /** Several credentials in one value, e.g. two `Authorization` lines joined with `, `. */
  'list',
  /** `Basic` or `Bearer` with nothing after the scheme. */
  'missing_token',
  /** The Basic token68 is not strict, canonical, padded base64. */
  'not_base64',
  /** The decoded Basic bytes are not well-formed UTF-8. */
  'not_utf8',
  /** The decoded Basic credentials hold no `:` between user-id and password. */
  'no_colon',
  /** The Basic user-id is empty. */
  'empty_username',
  /** The Basic password is empty (no IdP accepts one; refusing it saves the round trip). */
  'empty_password',
  /** The Bearer token (or the `goauthentik.io/token` password) is not an RFC 6750 b64token. */
  'bad_token',
] as const;

export type MalformedReason = (typeof MALFORMED_REASONS)[number];

/** The longest credential header value looked at: 8 KiB, the usual header limit of HTTP servers. */
export const MAX_CREDENTIALS_LENGTH = 8192;

/** authentik's reserved Basic user-id: the password is then a token, checked as Bearer. */
export const AUTHENTIK_TOKEN_USERNAME = 'goauthentik.io/token';
