/**
 * The session store could not answer (Redis down, timed out, or replied with an error). The
 * gateway renders it as 503; it must never be read as "no session".
 */

import { PortcullisError } from '../errors/index.js';

export class SessionStoreUnavailableError extends PortcullisError {
  constructor(operation: string, options?: { cause?: unknown }) {
    // The message names the operation only: keys contain session ids, which are credentials.
    super('PCL_SESSION_STORE_UNAVAILABLE', `The session store did not answer (${operation})`, options);
    this.name = 'SessionStoreUnavailableError';
  }
}

export function isSessionStoreUnavailable(error: unknown): error is SessionStoreUnavailableError {
  return error instanceof SessionStoreUnavailableError;
}
