/**
 * Every HTTP call Portcullis makes to an identity provider goes through one fetch, which
 * tells an observer which endpoint was called, whether it answered, and how long it took.
 */

export type IdpEndpoint = 'discovery' | 'jwks' | 'token' | 'introspection' | 'revocation' | 'userinfo' | 'other';

export interface IdpCallObserver {
  /** `ok` is false for transport failures and 5xx answers (4xx is a verdict, not a failure). */
  record(endpoint: IdpEndpoint, ok: boolean, seconds: number): void;
}

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export function observedFetch(observer: IdpCallObserver | undefined, classify: (url: string) => IdpEndpoint): Fetch {
  if (observer === undefined) {
    return (url, init) => fetch(url, init);
  }
  return async (url, init) => {
    const endpoint = classify(url);
    const started = performance.now();
    try {
      const response = await fetch(url, init);
      observer.record(endpoint, response.status < 500, (performance.now() - started) / 1000);
      return response;
    } catch (error) {
      observer.record(endpoint, false, (performance.now() - started) / 1000);
      throw error;
    }
  };
}
