/**
 * authentik's API as an outpost calls it: the outpost instance, its Proxy Providers page by
 * page, and certificate keypairs. Every call carries the outpost token and authentik's outpost
 * User-Agent; failures are typed (`PCL_AUTHENTIK_REFUSED` for a refused token,
 * `PCL_AUTHENTIK_UNAVAILABLE` for an outage, `PCL_AUTHENTIK_MALFORMED` for an odd answer).
 */

import { isPlainObject } from '../config/index.js';
import { Agent, fetch, type Dispatcher } from 'undici';
import { PortcullisError, type ErrorCode } from '../errors/index.js';
import { OUTPOST_USER_AGENT } from '../version.js';
import type { CertificateKeypair, Outpost, Page, ProxyOutpostConfig } from './api-types.js';
import type { AuthentikSettings } from './settings.js';

const PAGE_SIZE = 100;
/** More pages than any outpost has providers for; a server looping on `next` stops here. */
const MAX_PAGES = 1_000;
const TIMEOUT_MS = 10_000;
const MIN_REFRESH_S = 30;
const DEFAULT_REFRESH_S = 300;

export class AuthentikApi {
  readonly #settings: AuthentikSettings;
  readonly #dispatcher: Dispatcher | undefined;

  constructor(settings: AuthentikSettings) {
    this.#settings = settings;
    this.#dispatcher = settings.insecure ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined;
  }

  /** The outpost this token belongs to (`results[0]` of the instances it may see). */
  async outpost(): Promise<Outpost> {
    const page = asPage(await this.#get('outposts/instances/'), 'outposts/instances/');
    const first = page.results[0];
    if (!isPlainObject(first) || typeof first.pk !== 'string' || typeof first.name !== 'string') {
      throw malformed(page.results.length === 0 ? 'no outpost belongs to this token' : 'the outpost has no pk or name');
    }
    const interval = typeof first.refresh_interval_s === 'number' ? first.refresh_interval_s : 0;
    return {
      pk: first.pk,
      name: first.name,
      refreshIntervalS: interval <= 0 ? DEFAULT_REFRESH_S : Math.max(MIN_REFRESH_S, interval),
    };
  }

  /** Every Proxy Provider of the outpost, following `pagination.next` to the last page. */
  async proxyProviders(): Promise<ProxyOutpostConfig[]> {
    const providers: ProxyOutpostConfig[] = [];
    let page = 1;
    for (let fetched = 0; page > 0 && fetched < MAX_PAGES; fetched += 1) {
      const path = `outposts/proxy/?page=${page}&page_size=${PAGE_SIZE}`;
      const body = asPage(await this.#get(path), path);
      for (const item of body.results) {
        if (isPlainObject(item)) providers.push(item);
      }
      page = body.pagination.next;
    }
    return providers;
  }

  /** A keypair's PEM certificate and private key (the JSON views, not `?download`). */
  async certificate(keypair: string): Promise<CertificateKeypair> {
    const base = `crypto/certificatekeypairs/${encodeURIComponent(keypair)}/`;
    const [certificate, privateKey] = await Promise.all([this.#pem(`${base}view_certificate/`), this.#pem(`${base}view_private_key/`)]);
    return { certificate, privateKey };
  }

  async close(): Promise<void> {
    await this.#dispatcher?.close();
  }

  async #pem(path: string): Promise<string> {
    const body = await this.#get(path);
    if (!isPlainObject(body) || typeof body.data !== 'string') throw malformed(`${path} has no "data"`);
    return body.data;
  }

  async #get(path: string): Promise<unknown> {
    const url = new URL(`api/v3/${path}`, this.#settings.host);
    let response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${this.#settings.token}`, 'user-agent': OUTPOST_USER_AGENT, accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
        ...(this.#dispatcher === undefined ? {} : { dispatcher: this.#dispatcher }),
      });
    } catch (error) {
      throw failure('PCL_AUTHENTIK_UNAVAILABLE', `${url.pathname}: ${describe(error)}`, error);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw failure('PCL_AUTHENTIK_REFUSED', `${url.pathname} answered ${response.status}: the outpost token was refused`);
    }
    if (response.status === 404) {
      // Something the outpost's answer named is gone (a keypair): about that object, no outage.
      await response.body?.cancel();
      throw malformed(`${url.pathname} answered 404`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw failure('PCL_AUTHENTIK_UNAVAILABLE', `${url.pathname} answered ${response.status}`);
    }
    try {
      return await response.json();
    } catch (error) {
      throw failure('PCL_AUTHENTIK_MALFORMED', `${url.pathname} did not answer JSON`, error);
    }
  }
}

function asPage(body: unknown, path: string): Page {
  if (!isPlainObject(body) || !Array.isArray(body.results) || !isPlainObject(body.pagination)) throw malformed(`${path} is not a page of results`);
  const next = body.pagination.next;
  return { results: body.results, pagination: { next: typeof next === 'number' && Number.isSafeInteger(next) && next > 0 ? next : 0 } };
}

function failure(code: ErrorCode, message: string, cause?: unknown): PortcullisError {
  return new PortcullisError(code, message, cause === undefined ? undefined : { cause });
}

function malformed(message: string): PortcullisError {
  return failure('PCL_AUTHENTIK_MALFORMED', message);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
