/**
 * Every error Portcullis raises on purpose, with a stable code. Callers branch on `code`,
 * never on the message (messages are for people and may change).
 */

export const ERROR_CODES = {
  PCL_CONFIG_INVALID: 'The configuration file does not validate',
  PCL_CONFIG_UNREADABLE: 'The configuration file cannot be read or parsed',
  PCL_USERS_INVALID: 'The development IdP users file does not validate',
  PCL_POLICY_INVALID: 'The policy files do not validate',
  PCL_POLICY_BINDING_UNKNOWN: 'An application binds a policy that no policy file defines',
  PCL_IDP_UNAVAILABLE: 'The identity provider did not answer in time or answered with an error',
  PCL_IDP_DISCOVERY: 'The identity provider discovery document is missing or invalid',
  PCL_IDP_CLIENT_KEY: 'The private key of identity.clientKeyFile cannot be read or cannot sign client assertions',
  PCL_SESSION_STORE_UNAVAILABLE: 'The session store did not answer in time or answered with an error',
  PCL_DEVIDP_NON_LOOPBACK: 'The development IdP refuses to listen on a non-loopback address',
  PCL_DEVIDP_UNKNOWN_USER: 'The development IdP has no user by that name',
  PCL_PATH_INVALID: 'The request path cannot be normalized safely',
  PCL_HOST_UNKNOWN: 'No application is configured for the request host',
  PCL_UPSTREAM_UNAVAILABLE: 'The upstream application refused or reset the connection',
  PCL_UPSTREAM_TIMEOUT: 'The upstream application did not answer in time',
  PCL_USAGE: 'The command line is not understood',
  PCL_TLS_CERTIFICATE: 'A certificate of the HTTPS listener cannot be read or does not match its key',
  PCL_AUTHENTIK_REFUSED: 'authentik refused the outpost token (401/403)',
  PCL_AUTHENTIK_UNAVAILABLE: 'authentik\'s API could not be reached or answered with an error',
  PCL_AUTHENTIK_MALFORMED: 'authentik\'s API answered something that is not what an outpost expects',
  PCL_WORKER_START: 'A worker of `workers: N` ended before every worker of the first start listened',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PortcullisError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string = ERROR_CODES[code], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PortcullisError';
    this.code = code;
  }
}

/** One problem found while validating a file: the dotted path of the key and what was wrong. */
export interface ValidationProblem {
  readonly path: string;
  readonly message: string;
}

/** A file that did not validate; carries every problem found, not only the first. */
export class ValidationError extends PortcullisError {
  readonly problems: readonly ValidationProblem[];
  readonly source: string;

  constructor(
    code: 'PCL_CONFIG_INVALID' | 'PCL_USERS_INVALID' | 'PCL_POLICY_INVALID' | 'PCL_POLICY_BINDING_UNKNOWN',
    source: string,
    problems: readonly ValidationProblem[],
  ) {
    super(code, `${source}: ${problems.length} problem(s)\n${formatProblems(problems)}`);
    this.name = 'ValidationError';
    this.problems = problems;
    this.source = source;
  }
}

export function formatProblems(problems: readonly ValidationProblem[]): string {
  return problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`)).join('\n');
}

export function isPortcullisError(value: unknown, code?: ErrorCode): value is PortcullisError {
  return value instanceof PortcullisError && (code === undefined || value.code === code);
}

/** What a caught value says, for a log line: its message, or the value itself when it is no Error. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
