/**
 * Credential and challenge parsing: pure, total, no I/O.
 *
 * @see RFC 9110 §11, RFC 7617, RFC 6750
 */
export { parseCredentials } from './parse.js';
export { parseChallenges, authParam, type Challenge } from './challenges.js';
export type { ParsedCredentials } from './types.js';
export {
  MALFORMED_REASONS,
  MAX_CREDENTIALS_LENGTH,
  AUTHENTIK_TOKEN_USERNAME,
  type MalformedReason,
} from './reasons.js';
