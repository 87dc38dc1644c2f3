/**
 * An upstream that records how each request body arrived: how many bytes, and whether the
 * request completed or was aborted mid-body. For tests that must tell "the upstream never saw
 * a complete body" from "the upstream saw nothing at all".
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  bytes: number;
  state: 'receiving' | 'complete' | 'aborted';
}

export interface RecordingUpstream {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const record: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', bytes: 0, state: 'receiving' };
    requests.push(record);
    req.on('data', (chunk: Buffer) => {
      record.bytes += chunk.length;
    });
    req.on('end', () => {
      record.state = 'complete';
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes: record.bytes }));
    });
    req.on('aborted', () => {
      record.state = 'aborted';
    });
    req.on('error', () => {
      if (record.state === 'receiving') record.state = 'aborted';
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
