/**
 * authentik's query signatures: `?X-authentik-auth-callback=true` makes any request the login
 * callback, `?X-authentik-logout=true` a sign-out, whatever its path (authentik registers the
 * callback as `…/callback?X-authentik-auth-callback=true`, and apps link to `?X-authentik-logout=true`).
 */

export type Signature = 'callback' | 'logout';

const CALLBACK = 'X-authentik-auth-callback';
const LOGOUT = 'X-authentik-logout';

/** The signature a query (with its `?`, or '') carries, or null; the common case costs one scan. */
export function signatureOf(query: string): Signature | null {
  if (query === '' || !query.includes('X-authentik-')) {
    return null;
  }
  const params = new URLSearchParams(query);
  if (params.get(CALLBACK) === 'true') return 'callback';
  if (params.get(LOGOUT) === 'true') return 'logout';
  return null;
}
