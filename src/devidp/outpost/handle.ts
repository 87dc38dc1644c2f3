import { PortcullisError } from '../../errors/index.js';
import type { FaultBoard } from '../http/faults.js';
import { encodeEventMessage, OUTPOST_INSTRUCTION } from './messages.js';
import { DEFAULT_WAIT_MS } from './records.js';
import type { OutpostService } from './service.js';
import type { DevOutpost } from './types.js';

/** The test controls of `idp.outpost`; each delegates to the part that owns the state. */
export function devOutpostHandle(service: OutpostService, faults: FaultBoard): DevOutpost {
  const { catalogue, events, recorder } = service;
  const wsUrl = new URL(`/ws/outpost/${service.pk}/`, service.authentikHost);
  wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  return {
    pk: service.pk,
    name: service.settings.name,
    token: service.settings.token,
    authentikHost: service.authentikHost,
    websocketUrl: wsUrl.href,
    providers: () => catalogue.list(),
    cookieSecret: (pk) => catalogue.cookieSecret(requireProvider(service, pk)),
    certificateOf: (pk) => {
      const provider = catalogue.get(requireProvider(service, pk));
      return provider === undefined ? null : (service.keypairOf(provider)?.pk ?? null);
    },
    triggerUpdate: () => events.broadcast(encodeEventMessage(OUTPOST_INSTRUCTION.TRIGGER_UPDATE)),
    // authentik forwards the whole channel-layer event as args, `type` included.
    endSession: (sessionId) =>
      events.broadcast(encodeEventMessage(OUTPOST_INSTRUCTION.SESSION_END, { type: 'event.session.end', session_id: sessionId })),
    sendRaw: (text) => events.broadcast(text),
    dropConnections: () => events.dropAll(),
    connections: () => recorder.connections(),
    messages: () => recorder.messages(),
    apiCalls: () => recorder.calls(),
    resetRecords: () => recorder.reset(),
    waitForConnection: (predicate = (c) => c.authorized, timeoutMs = DEFAULT_WAIT_MS) => recorder.waitForConnection(predicate, timeoutMs),
    waitForMessage: (predicate, timeoutMs = DEFAULT_WAIT_MS) => recorder.waitForMessage(predicate, timeoutMs),
    setProvider: (pk, patch) => service.setProvider(pk, patch),
    removeProvider: (pk) => {
      catalogue.remove(requireProvider(service, pk));
    },
    patchRaw: (pk, patch) => catalogue.addRawPatch(requireProvider(service, pk), patch),
    refuseToken: (on) => service.token.refuse(on),
    failApi: (status) => (status === null ? faults.clearFailure('outpost_api') : faults.fail('outpost_api', status)),
  };
}

function requireProvider(service: OutpostService, pk: number): number {
  if (service.catalogue.get(pk) === undefined) throw new PortcullisError('PCL_USAGE', `the outpost has no provider with pk ${pk}`);
  return pk;
}
