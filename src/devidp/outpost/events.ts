import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { WebSocket, WebSocketServer } from 'ws';
import type { RawData } from 'ws';

import { encodeEventMessage, OUTPOST_INSTRUCTION, parseEventMessage } from './messages.js';
import type { OutpostRecorder } from './records.js';
import type { OutpostToken } from './token.js';

export const EVENTS_PATH_PREFIX = '/ws/outpost/';
const EVENTS_PATH = /^\/ws\/outpost\/([^/]+)\/$/;
const ACK = encodeEventMessage(OUTPOST_INSTRUCTION.ACK);

export interface OutpostEventsDeps {
  readonly outpostPk: string;
  readonly token: OutpostToken;
  readonly recorder: OutpostRecorder;
  readonly log: (line: string) => void;
}

/**
 * authentik's outpost websocket (`/ws/outpost/<pk>/`, `authentik/outposts/consumer.py`): the
 * handshake needs the outpost's token and pk, every message but an ACK is acknowledged, and
 * tests push TRIGGER_UPDATE, SESSION_END or raw frames to every open socket.
 */
export class OutpostEvents {
  readonly #deps: OutpostEventsDeps;
  // Outpost messages are tiny; a huge frame is a bug in the client under test, not a message.
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  readonly #open = new Map<WebSocket, number>();

  constructor(deps: OutpostEventsDeps) {
    this.#deps = deps;
  }

  /** For the HTTP server's `upgrade` event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://devidp.invalid');
    const match = EVENTS_PATH.exec(url.pathname);
    if (match === null) {
      refuseHandshake(socket, 404, 'Not Found');
      return;
    }
    // authentik denies the connection when the token's user may not view that outpost.
    const authorized = this.#deps.token.judge(req.headers.authorization) === 'accepted' && match[1] === this.#deps.outpostPk;
    const instanceUuid = url.searchParams.get('instance_uuid');
    const id = this.#deps.recorder.recordHandshake({
      instanceUuid,
      attempt: attemptOf(url.searchParams.get('attempt')),
      userAgent: req.headers['user-agent'] ?? '',
      authorized,
    });
    if (!authorized) {
      refuseHandshake(socket, 403, 'Forbidden');
      return;
    }
    this.#server.handleUpgrade(req, socket, head, (ws) => this.#attach(ws, id, instanceUuid));
  }

  /** Sends a text frame to every open socket; returns how many there were. */
  broadcast(text: string): number {
    let sent = 0;
    for (const ws of this.#open.keys()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      ws.send(text);
      sent += 1;
    }
    return sent;
  }

  /** Destroys every open socket without a close frame (the client sees a read error, as on a network drop). */
  dropAll(): number {
    const sockets = [...this.#open.keys()];
    for (const ws of sockets) ws.terminate();
    return sockets.length;
  }

  close(): void {
    this.dropAll();
    this.#server.close();
  }

  #attach(ws: WebSocket, id: number, instanceUuid: string | null): void {
    this.#open.set(ws, id);
    ws.on('message', (data, isBinary) => this.#receive(ws, id, instanceUuid, frameText(data), isBinary));
    ws.on('close', (code) => {
      this.#open.delete(ws);
      this.#deps.recorder.recordClose(id, code);
    });
    ws.on('error', (err) => this.#deps.log(`outpost websocket ${id}: ${err.message}`));
  }

  #receive(ws: WebSocket, id: number, instanceUuid: string | null, raw: string, isBinary: boolean): void {
    const message = isBinary ? undefined : parseEventMessage(raw);
    // Recorded before the ACK goes out, so a client that saw the ACK finds its message recorded.
    this.#deps.recorder.recordMessage({ connectionId: id, instanceUuid, raw, message, malformed: message === undefined });
    if (message !== undefined && message.instruction !== OUTPOST_INSTRUCTION.ACK && ws.readyState === WebSocket.OPEN) ws.send(ACK);
  }
}

function attemptOf(value: string | null): number | null {
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}

function frameText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}

/** What authentik's DenyConnection amounts to: an HTTP error instead of `101`, then the socket closes. */
function refuseHandshake(socket: Duplex, status: number, reason: string): void {
  // A client that resets the connection first must not crash the IdP with an unhandled 'error'.
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
