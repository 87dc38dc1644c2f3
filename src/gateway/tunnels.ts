/**
 * `CONNECT` (RFC 9110 §9.3.6) asks a proxy for a tunnel. Portcullis checks and forwards
 * requests; a tunnel would carry bytes it cannot see to wherever the client named, so it is
 * refused with a plain `405` (Node would otherwise drop the connection without a word).
 */

import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

const BODY = JSON.stringify({
  error: 'method_not_allowed',
  message: 'Portcullis does not open tunnels (CONNECT); send requests for its applications as plain HTTP requests.',
});

const RESPONSE = [
  'HTTP/1.1 405 Method Not Allowed',
  'Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
  'Content-Type: application/json; charset=utf-8',
  `Content-Length: ${Buffer.byteLength(BODY)}`,
  'Cache-Control: no-store',
  'Connection: close',
  '',
  BODY,
].join('\r\n');

export function refuseTunnels(server: Server): void {
  server.on('connect', (_request, socket: Duplex) => {
    socket.on('error', () => undefined);
    socket.end(RESPONSE);
  });
}
