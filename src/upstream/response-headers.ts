/**
 * The header rewrite applied to every upstream response before it reaches the client:
 * hop-by-hop headers, and any header the upstream's `Connection` lists, stay on the
 * upstream connection (RFC 9110 §7.6.1).
 */

import type { HeaderMap } from './request-headers.js';

const RESPONSE_HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'trailer', 'te', 'proxy-authenticate'];

export function rewriteResponseHeaders(headers: HeaderMap): HeaderMap {
  const listed = headers.connection;
  if (listed !== undefined) {
    for (const token of (Array.isArray(listed) ? listed.join(',') : listed).split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') {
        delete headers[name];
      }
    }
  }
  for (const name of RESPONSE_HOP_BY_HOP) {
    delete headers[name];
  }
  return headers;
}
