/**
 * The header rewrite applied to every upstream response before it reaches the client:
 * hop-by-hop headers, and any header the upstream's `Connection` lists, stay on the
 * upstream connection (RFC 9110 §7.6.1).
 */

import { connectionTokens, type HeaderMap } from './request-headers.js';

const RESPONSE_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'trailer', 'te', 'proxy-authenticate']);

/** A new header map, built in one pass (every proxied response goes through it). */
export function rewriteResponseHeaders(headers: HeaderMap): HeaderMap {
  const listed = headers.connection === undefined ? null : connectionTokens(headers.connection);
  const out: HeaderMap = {};
  for (const name of Object.keys(headers)) {
    if (!RESPONSE_HOP_BY_HOP.has(name) && (listed === null || !listed.includes(name))) {
      out[name] = headers[name];
    }
  }
  return out;
}
