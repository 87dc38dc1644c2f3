import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import type Provider from 'oidc-provider';

import { classifyPath } from '../oidc/routes.js';
import type { OutpostService } from '../outpost/service.js';
import type { DevIdpEndpoint } from '../types.js';
import type { EndpointDeps } from './deps.js';
import { pause } from './faults.js';
import type { FaultBoard } from './faults.js';
import { handleIntrospection } from './introspection.js';
import { BadRequest, sendError } from './io.js';
import { handleInteraction } from './login.js';
import { isOutpostApiPath, serveOutpostApi } from './outpost-api.js';
import { handleRevocation } from './revocation.js';
import { handleUserinfo } from './userinfo.js';

type Handler = (req: IncomingMessage, res: ServerResponse, deps: EndpointDeps) => Promise<void>;

/** Endpoints served here instead of by oidc-provider; see each handler for why. */
const OWN_HANDLERS: Partial<Record<DevIdpEndpoint, Handler>> = {
  interaction: handleInteraction,
  userinfo: handleUserinfo,
  introspection: handleIntrospection,
  revocation: handleRevocation,
};

export interface IdpServerDeps {
  /** Undefined while the IdP is still starting. */
  readonly endpoints: () => EndpointDeps | undefined;
  /** The mimic authentik outpost; undefined without an `outpost` section (or while starting). */
  readonly outpost: () => OutpostService | undefined;
  readonly faults: FaultBoard;
  readonly log: (line: string) => void;
}

/**
 * A thin node:http layer in front of oidc-provider: it classifies each request by path, counts
 * it, applies injected faults and stalls, then dispatches to the IdP's own handlers or to the
 * current Provider (which a key rotation swaps).
 */
export function createIdpServer(deps: IdpServerDeps): Server {
  const callbacks = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  const providerCallback = (provider: Provider) => {
    let callback = callbacks.get(provider);
    if (callback === undefined) {
      callback = provider.callback();
      callbacks.set(provider, callback);
    }
    return callback;
  };

  return createServer((req, res) => {
    const started = Date.now();
    res.once('finish', () => deps.log(`${req.method} ${req.url} -> ${res.statusCode} (${Date.now() - started} ms)`));
    handle(req, res, deps, providerCallback).catch((err: unknown) => {
      if (err instanceof BadRequest) {
        if (!res.headersSent) sendError(res, 400, 'invalid_request', err.message);
        return;
      }
      deps.log(`error on ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) sendError(res, 500, 'server_error', 'unexpected error in the development IdP');
      else res.destroy();
    });
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  deps: IdpServerDeps,
  providerCallback: (provider: Provider) => ReturnType<Provider['callback']>,
): Promise<void> {
  const endpoints = deps.endpoints();
  if (endpoints === undefined) {
    sendError(res, 503, 'temporarily_unavailable', 'the development IdP is still starting', { 'retry-after': '1' });
    return;
  }
  const url = req.url ?? '/';
  const outpost = deps.outpost();
  // authentik's API lives at the host's root, beside (not below) the OIDC issuer path.
  if (outpost !== undefined && isOutpostApiPath(url)) {
    deps.faults.count('outpost_api');
    await serveOutpostApi(req, res, outpost, deps.faults);
    return;
  }
  const inner = stripMountPath(url, endpoints.mountPath);
  const endpoint = inner === undefined ? undefined : classifyPath(inner.split('?')[0] ?? '');
  deps.faults.count(endpoint);
  if (inner === undefined) {
    sendError(res, 404, 'not_found', 'nothing here; endpoints live under the issuer path');
    return;
  }
  if (endpoint !== undefined && !(await applyFaults(endpoint, res, deps.faults))) return;
  if (endpoints.mountPath !== '') {
    // oidc-provider derives its mount path from originalUrl, as it would behind express or koa-mount.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = inner;
  }
  const own = endpoint === undefined ? undefined : OWN_HANDLERS[endpoint];
  if (own !== undefined) await own(req, res, endpoints);
  else await providerCallback(endpoints.provider())(req, res);
}

function stripMountPath(url: string, mountPath: string): string | undefined {
  if (mountPath === '') return url;
  if (url === mountPath) return '/';
  if (url.startsWith(`${mountPath}/`) || url.startsWith(`${mountPath}?`)) return url.slice(mountPath.length);
  return undefined;
}

/** Waits out a stall, then answers with an injected status if one is set. False: the request is done. */
async function applyFaults(endpoint: DevIdpEndpoint, res: ServerResponse, faults: FaultBoard): Promise<boolean> {
  const stall = faults.stallFor(endpoint);
  if (stall > 0 && (await pause(stall, res)) === 'closed') return false;
  const status = faults.failure(endpoint);
  if (status === undefined) return true;
  const error = status >= 500 ? 'temporarily_unavailable' : 'invalid_request';
  sendError(res, status, error, `fault injected into the ${endpoint} endpoint by the development IdP`);
  return false;
}
