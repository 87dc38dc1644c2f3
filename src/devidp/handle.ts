import type { Server } from 'node:http';

import { PortcullisError } from '../errors/index.js';
import type { FaultBoard } from './http/faults.js';
import type { ProviderStore } from './oidc/adapter.js';
import type { KeyRing } from './oidc/keys.js';
import { issuedSessionIds } from './oidc/session-ids.js';
import { devOutpostHandle } from './outpost/handle.js';
import type { OutpostService } from './outpost/service.js';
import type { DevOutpost } from './outpost/types.js';
import type { DevIdp } from './types.js';
import type { UserDirectory } from './users/directory.js';

export interface HandleParts {
  readonly issuer: string;
  readonly url: string;
  readonly server: Server;
  readonly keys: KeyRing;
  readonly directory: UserDirectory;
  readonly faults: FaultBoard;
  readonly store: ProviderStore;
  /** Undefined without an `outpost` section in the users file. */
  readonly outpost: OutpostService | undefined;
  /** Builds a Provider with the current keys and swaps it in. */
  readonly rebuildProvider: () => void;
}

/** The handle tests hold: every knob delegates to the part that owns the state. */
export function devIdpHandle(parts: HandleParts): DevIdp {
  const { keys, directory, faults } = parts;
  const outpost = parts.outpost === undefined ? undefined : devOutpostHandle(parts.outpost, faults);
  let closing: Promise<void> | undefined;
  return {
    issuer: parts.issuer,
    url: parts.url,
    calls: (endpoint) => faults.calls(endpoint),
    resetCalls: () => faults.resetCalls(),
    rotateKeys: async (options = {}) => {
      await keys.rotate(options.keepPrevious === true);
      // oidc-provider fixes its keystore at construction; the new Provider shares the store, so sessions survive.
      parts.rebuildProvider();
    },
    keyIds: () => keys.kids(),
    setUserActive: (username, active) => directory.setActive(username, active),
    revokeAppPassword: (username, name) => directory.revokeAppPassword(username, name),
    failEndpoint: (endpoint, status) => faults.fail(endpoint, status),
    stallEndpoint: (endpoint, ms) => faults.stall(endpoint, ms),
    clearFaults: () => faults.clear(),
    signJwt: (payload, options) => keys.sign(payload, options),
    userClaims: (username) => directory.claimsOf(username),
    sessionIdsOf: (username) => issuedSessionIds(parts.store, directory.uidOf(username)),
    get outpost(): DevOutpost {
      if (outpost === undefined) throw new PortcullisError('PCL_USAGE', 'the users file has no outpost section, so the IdP serves no outpost');
      return outpost;
    },
    hasOutpost: outpost !== undefined,
    close: () => {
      // Upgraded websockets are no longer the HTTP server's connections: close() would wait for them.
      parts.outpost?.close();
      return (closing ??= closeServer(parts.server));
    },
  };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    // Keep-alive sockets and stalled requests would otherwise hold close() open.
    server.closeAllConnections();
  });
}
