import { PortcullisError } from '../errors/index.js';
import { isLoopbackHost, urlHost } from './loopback.js';
import type { DevClientAuthMethod, DevIdpOptions } from './types.js';

const DEFAULT_TTL = { accessToken: 600, idToken: 600, refreshToken: 30 * 24 * 3600 } as const;
const DEFAULT_CLIENT_AUTH_METHODS: readonly DevClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  /** Path of the issuer without trailing slash; every endpoint lives below it. */
  readonly mountPath: string;
  readonly ttl: { readonly accessToken: number; readonly idToken: number; readonly refreshToken: number };
  readonly log: (line: string) => void;
  readonly leanIdTokens: boolean;
  /** In discovery's order; clients' own methods are added when the Provider is built. */
  readonly clientAuthMethods: readonly DevClientAuthMethod[];
  /** The issuer once the listener's base URL (with the real port) is known. */
  issuerFor(baseUrl: string): string;
}

/** Checks the options before anything starts; mistakes are PCL_USAGE errors. */
export function resolveOptions(options: DevIdpOptions): ResolvedOptions {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && options.allowNonLoopback !== true) {
    throw new PortcullisError(
      'PCL_DEVIDP_NON_LOOPBACK',
      `the development IdP listens on loopback only, refusing "${host}" (it serves well-known dev passwords); allowNonLoopback overrides this`,
    );
  }
  const { issuerUrl, issuerPath = '' } = options;
  if (issuerPath !== '' && !issuerPath.startsWith('/')) {
    throw new PortcullisError('PCL_USAGE', `issuerPath must start with "/", got "${issuerPath}"`);
  }
  return {
    host,
    port: options.port ?? 0,
    // The default issuer needs the port, which is not known yet; its path is.
    mountPath: issuerMountPath(issuerUrl ?? `http://${urlHost(host)}${issuerPath}`),
    ttl: { ...DEFAULT_TTL, ...options.ttl },
    log: options.logger ?? (() => {}),
    leanIdTokens: options.leanIdTokens === true,
    clientAuthMethods: clientAuthMethods(options.clientAuthMethods),
    issuerFor: (baseUrl) => issuerUrl ?? `${baseUrl}${issuerPath}`,
  };
}

function clientAuthMethods(methods: readonly DevClientAuthMethod[] | undefined): readonly DevClientAuthMethod[] {
  if (methods === undefined) return DEFAULT_CLIENT_AUTH_METHODS;
  if (methods.length === 0) throw new PortcullisError('PCL_USAGE', 'clientAuthMethods must name at least one method');
  return [...new Set(methods)];
}

function issuerMountPath(issuer: string): string {
  let url: URL | undefined;
  try {
    url = new URL(issuer);
  } catch {
    url = undefined;
  }
  // An issuer identifier is an https (here also http) URL without query or fragment (OpenID Connect Discovery 1.0 §2).
  if (url === undefined || !/^https?:$/.test(url.protocol) || issuer.includes('?') || issuer.includes('#')) {
    throw new PortcullisError('PCL_USAGE', `issuerUrl must be an absolute http(s) URL without query or fragment, got "${issuer}"`);
  }
  return url.pathname.replace(/\/+$/, '');
}
