/**
 * A TCP relay in front of a server that counts the connections it accepts: how a test sees
 * whether a reverse proxy reuses its connections to Portcullis and to the application.
 */

import { connect, createServer, type Socket } from 'node:net';

export interface CountingRelay {
  /** `host:port` to give the proxy instead of the server's. */
  readonly address: string;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/** Relays every connection to `target` (`host:port`) byte for byte. */
export async function startCountingRelay(target: string): Promise<CountingRelay> {
  const colon = target.lastIndexOf(':');
  const [host, port] = [target.slice(0, colon), Number(target.slice(colon + 1))];
  const open = new Set<Socket>();
  let accepted = 0;
  const relay = createServer((client) => {
    accepted += 1;
    const server = connect(port, host);
    for (const [socket, peer] of [
      [client, server],
      [server, client],
    ] as const) {
      open.add(socket);
      socket.on('error', () => socket.destroy());
      socket.once('close', () => {
        open.delete(socket);
        peer.destroy();
      });
    }
    client.pipe(server).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(relay.address() as { port: number }).port}`,
    accepted: () => accepted,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}
