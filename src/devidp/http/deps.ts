import type Provider from 'oidc-provider';

import type { ProviderStore } from '../oidc/adapter.js';
import type { KeyRing } from '../oidc/keys.js';
import type { TokenLedger } from '../oidc/ledger.js';
import type { DevClient, DevClientAuthMethod } from '../types.js';
import type { UserDirectory } from '../users/directory.js';

/** What the endpoints the IdP serves itself (login, userinfo, introspection, revocation) work with. */
export interface EndpointDeps {
  readonly issuer: string;
  readonly mountPath: string;
  readonly clients: ReadonlyMap<string, DevClient>;
  /** What the IdP's own endpoints (introspection, revocation) take, like its token endpoint. */
  readonly clientAuthMethods: readonly DevClientAuthMethod[];
  readonly directory: UserDirectory;
  readonly keys: KeyRing;
  readonly ledger: TokenLedger;
  readonly store: ProviderStore;
  /** The current Provider; it changes when keys rotate. */
  readonly provider: () => Provider;
}
