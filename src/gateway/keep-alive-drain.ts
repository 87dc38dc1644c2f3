/**
 * Graceful shutdown for keep-alive clients: once the gateway drains, every response not yet
 * begun says `Connection: close`, so clients stop reusing the connection and `close()` does
 * not wait for their idle timeout. Tracked per connection rather than checked per response:
 * a hook on every response would cost every request for a moment that comes once.
 */

import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface KeepAliveDrain {
  /** From now on, the response each open connection is serving ends its connection. */
  endKeepAlive(): void;
}

export function trackKeepAlive(server: Server): KeepAliveDrain {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return {
    endKeepAlive() {
      for (const socket of open) {
        // `_httpMessage`: Node's record of the response a connection is serving; a response
        // whose head is still unwritten then writes `Connection: close` and ends the connection.
        const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
        if (response !== null && response !== undefined && !response.headersSent) {
          response.shouldKeepAlive = false;
        }
      }
    },
  };
}
