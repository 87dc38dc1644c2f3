/**
 * Every HTTP call Portcullis makes to an identity provider goes through one fetch, which
 * tells an observer which endpoint was called, whether it answered, and how long it took.
 */

import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';

export type IdpEndpoint = 'discovery' | 'jwks' | 'token' | 'introspection' | 'revocation' | 'userinfo' | 'other';

export interface IdpCallObserver {
  /** `ok` is false for transport failures and 5xx answers (4xx is a verdict, not a failure). */
  record(endpoint: IdpEndpoint, ok: boolean, seconds: number): void;
}

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export function observedFetch(observer: IdpCallObserver | undefined, classify: (url: string) => IdpEndpoint, options: { readonly tlsVerify?: boolean } = {}): Fetch {
  const send: Fetch = options.tlsVerify === false ? unverifiedFetch(new Agent({ connect: { rejectUnauthorized: false } })) : (url, init) => fetch(url, init);
  if (observer === undefined) {
    return send;
  }
  return async (url, init) => {
    const endpoint = classify(url);
    const started = performance.now();
    try {
      const response = await send(url, init);
      observer.record(endpoint, response.status < 500, (performance.now() - started) / 1000);
      return response;
    } catch (error) {
      observer.record(endpoint, false, (performance.now() - started) / 1000);
      throw error;
    }
  };
}

/**
 * TLS without certificate verification (`identity.tlsVerify: false`): undici's own fetch, which
 * takes the dispatcher, with its answer as the global `Response` the OpenID libraries expect.
 */
function unverifiedFetch(dispatcher: Agent): Fetch {
  return async (url, init) => {
    const answer = await undiciFetch(url, { ...(init as UndiciRequestInit), dispatcher });
    return new Response(answer.body as ReadableStream<Uint8Array> | null, { status: answer.status, statusText: answer.statusText, headers: [...answer.headers] });
  };
}
