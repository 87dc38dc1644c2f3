/**
 * What authentik's API answers, as far as an outpost reads it (authentik's `Outpost`,
 * `ProxyOutpostConfig` and `CertificateKeyPair` serializers). Every field is `unknown` until
 * checked: a provider with a bad field is skipped, never trusted.
 */

/** authentik's pagination envelope: `next` and `previous` are page numbers, 0 for none. */
export interface Page {
  readonly pagination: { readonly next: number };
  readonly results: readonly unknown[];
}

export interface Outpost {
  readonly pk: string;
  readonly name: string;
  /** Seconds between re-fetches; at least 30, and 300 when 0 or less (authentik's rules). */
  readonly refreshIntervalS: number;
}

/** One Proxy Provider as `/api/v3/outposts/proxy/` lists it; fields checked when mapped. */
export type ProxyOutpostConfig = Readonly<Record<string, unknown>>;

export interface CertificateKeypair {
  readonly certificate: string;
  readonly privateKey: string;
}
