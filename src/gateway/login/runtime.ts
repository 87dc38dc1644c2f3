/**
 * What the outpost endpoints (start, callback, sign-out, back-channel logout) of one
 * application need, prepared at start-up.
 */

import type { SessionIssuer } from '../../auth/index.js';
import type { IdentityConfig } from '../../config/index.js';
import type { IdentityProvider } from '../../idp/index.js';
import type { LoginStateCodec, SessionStore } from '../../sessions/index.js';
import type { RedirectScope } from '../redirect.js';

export interface LoginRuntime {
  readonly provider: IdentityProvider;
  readonly identity: IdentityConfig;
  readonly store: SessionStore;
  readonly sessions: SessionIssuer;
  readonly loginState: LoginStateCodec;
  readonly redirect: RedirectScope;
  /** `<externalHost>/outpost.goauthentik.io/callback`: the redirect_uri, never derived from Host. */
  readonly callbackUrl: string;
  readonly secret: string;
  readonly now: () => number;
}
