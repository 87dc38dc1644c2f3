/**
 * A small upstream app for the demo and the tests: it answers with what it received, so a
 * reader can see exactly which headers Portcullis forwarded. A few paths help test streaming
 * and failure handling (under any prefix): `…/stream?chunks=N&size=B`, `…/slow?ms=N`, `…/status/NNN`, and a
 * WebSocket echo on any path.
 */

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface EchoRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The raw header lines, in order, as received (to see duplicates). */
  readonly rawHeaders: readonly string[];
  readonly bodyLength: number;
  readonly bodySha256: string;
  /** The body as UTF-8 when it is at most 64 KiB. */
  readonly body: string | null;
}

export interface EchoUpstream {
  readonly url: string;
  readonly port: number;
  /** Every request received, newest last (bounded to the last 1,000). */
  readonly received: EchoRequest[];
  close(): Promise<void>;
}

const SMALL_BODY = 64 * 1024;

export async function startEchoUpstream(options: { host?: string; port?: number } = {}): Promise<EchoUpstream> {
  const received: EchoRequest[] = [];
  const server: Server = createServer((req, res) => {
    void handle(req, res, received);
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, request) => {
    socket.send(JSON.stringify({ kind: 'hello', url: request.url, headers: request.headers }));
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    received,
    close: async () => {
      for (const client of wss.clients) {
        client.terminate();
      }
      wss.close();
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, received: EchoRequest[]): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://upstream.invalid');
  if (url.pathname.endsWith('/slow')) {
    await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms') ?? '1000')));
  }
  const hash = createHash('sha256');
  const small: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      hash.update(chunk);
      length += chunk.length;
      if (length <= SMALL_BODY) {
        small.push(chunk);
      }
    }
  } catch {
    return;
  }
  const echo: EchoRequest = {
    method: req.method ?? '',
    url: req.url ?? '',
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    bodyLength: length,
    bodySha256: hash.digest('hex'),
    body: length <= SMALL_BODY ? Buffer.concat(small).toString('utf8') : null,
  };
  received.push(echo);
  if (received.length > 1000) {
    received.shift();
  }
  if (url.pathname.endsWith('/stream')) {
    streamChunks(res, Number(url.searchParams.get('chunks') ?? '10'), Number(url.searchParams.get('size') ?? '1024'));
    return;
  }
  const status = /\/status\/(\d{3})$/.exec(url.pathname);
  res.writeHead(status ? Number(status[1]) : 200, {
    'content-type': 'application/json; charset=utf-8',
    // Hop-by-hop headers a proxy must not relay, so tests can check they are dropped.
    connection: 'keep-alive, x-upstream-hop',
    'keep-alive': 'timeout=5',
    'x-upstream-hop': 'must-not-be-forwarded',
  });
  res.end(JSON.stringify(echo));
}

/** A chunked response written piece by piece, to see streaming pass through unbuffered. */
function streamChunks(res: ServerResponse, chunks: number, size: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  let sent = 0;
  const writeNext = (): void => {
    while (sent < chunks) {
      const chunk = Buffer.alloc(size, sent % 256);
      sent += 1;
      if (!res.write(chunk)) {
        res.once('drain', writeNext);
        return;
      }
    }
    res.end();
  };
  writeNext();
}
