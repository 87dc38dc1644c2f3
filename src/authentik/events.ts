/**
 * The outpost's websocket to authentik (`/ws/outpost/<pk>/`): a hello on connect and every
 * 10 s, configuration updates and session ends from authentik, and a reconnect with backoff
 * (1 s doubling to 5 min) whenever the connection drops or stops answering.
 *
 * Messages are `{"instruction": n, "args": {…}}`: 0 ack, 1 hello, 2 trigger update,
 * 3 provider-specific (older authentik's logout), 4 session end.
 */

import { isPlainObject } from '../config/index.js';
import WebSocket from 'ws';
import { OUTPOST_USER_AGENT, VERSION } from '../version.js';
import type { AuthentikSettings } from './settings.js';

export const INSTRUCTION = { ack: 0, hello: 1, triggerUpdate: 2, providerSpecific: 3, sessionEnd: 4 } as const;

export interface EventsLog {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export interface OutpostEventsOptions {
  readonly settings: AuthentikSettings;
  readonly outpostPk: string;
  /** This process, as authentik lists it under the outpost. */
  readonly instanceUuid: string;
  readonly hostname: string;
  readonly buildHash: string;
  readonly onTriggerUpdate: () => void;
  readonly onSessionEnd: (sessionId: string) => void;
  readonly onConnectionChange: (connected: boolean) => void;
  readonly log: EventsLog;
  readonly helloIntervalMs?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

const HELLO_INTERVAL_MS = 10_000;
const INITIAL_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 300_000;
/** authentik acknowledges every hello: this many intervals of silence mean a dead connection. */
const SILENT_INTERVALS = 3;
const MAX_MESSAGE_BYTES = 1024 * 1024;

export class OutpostEvents {
  readonly #options: OutpostEventsOptions;
  #socket: WebSocket | null = null;
  #hello: NodeJS.Timeout | null = null;
  #retry: NodeJS.Timeout | null = null;
  #attempt = 0;
  #backoffMs: number;
  #lastHeardAt = 0;
  /** The server said anything on this connection (its silence means something only then). */
  #heard = false;
  #connected = false;
  #closed = false;

  constructor(options: OutpostEventsOptions) {
    this.#options = options;
    this.#backoffMs = options.initialBackoffMs ?? INITIAL_BACKOFF_MS;
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    this.#connect();
  }

  close(): void {
    this.#closed = true;
    this.#stopTimers();
    if (this.#socket !== null) {
      this.#socket.removeAllListeners();
      this.#socket.on('error', () => undefined);
      this.#socket.close(1000);
      this.#socket = null;
    }
    this.#setConnected(false);
  }

  /** `ws(s)://<host>/ws/outpost/<pk>/?instance_uuid=…&attempt=…`, below a sub-path install's path. */
  url(attempt: number): URL {
    const url = new URL(`ws/outpost/${encodeURIComponent(this.#options.outpostPk)}/`, this.#options.settings.host);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('instance_uuid', this.#options.instanceUuid);
    url.searchParams.set('attempt', String(attempt));
    return url;
  }

  #connect(): void {
    if (this.#closed) return;
    this.#attempt += 1;
    const { settings } = this.#options;
    const socket = new WebSocket(this.url(this.#attempt), {
      headers: { authorization: `Bearer ${settings.token}`, 'user-agent': OUTPOST_USER_AGENT },
      rejectUnauthorized: !settings.insecure,
      handshakeTimeout: 10_000,
      maxPayload: MAX_MESSAGE_BYTES,
    });
    this.#socket = socket;
    socket.on('open', () => this.#opened());
    socket.on('message', (data, isBinary) => this.#received(isBinary ? null : data.toString()));
    socket.on('unexpected-response', (_request, response) => {
      this.#options.log.warn({ status: response.statusCode, attempt: this.#attempt }, response.statusCode === 401 || response.statusCode === 403 ? 'authentik refused the outpost token on the websocket' : 'authentik refused the websocket');
      response.resume();
      socket.terminate();
    });
    socket.on('error', (error) => this.#options.log.warn({ err: error.message, attempt: this.#attempt }, 'authentik websocket error'));
    socket.on('close', () => this.#dropped(socket));
  }

  #opened(): void {
    this.#options.log.info({ attempt: this.#attempt }, 'connected to authentik');
    this.#attempt = 0;
    this.#backoffMs = this.#options.initialBackoffMs ?? INITIAL_BACKOFF_MS;
    this.#lastHeardAt = Date.now();
    this.#heard = false;
    this.#setConnected(true);
    this.#sendHello();
    const interval = this.#options.helloIntervalMs ?? HELLO_INTERVAL_MS;
    this.#hello = setInterval(() => {
      // Only a server that answers (authentik acknowledges every hello) can fall silent.
      if (this.#heard && Date.now() - this.#lastHeardAt > interval * SILENT_INTERVALS) {
        this.#options.log.warn({ silentMs: Date.now() - this.#lastHeardAt }, 'authentik stopped answering on the websocket; reconnecting');
        this.#socket?.terminate();
        return;
      }
      this.#sendHello();
    }, interval);
    this.#hello.unref();
  }

  #sendHello(): void {
    const { instanceUuid, hostname, buildHash } = this.#options;
    this.#send({ instruction: INSTRUCTION.hello, args: { version: VERSION, buildHash, uuid: instanceUuid, hostname } });
  }

  #send(message: { readonly instruction: number; readonly args: Readonly<Record<string, unknown>> }): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  #received(text: string | null): void {
    this.#lastHeardAt = Date.now();
    this.#heard = true;
    const message = parseMessage(text);
    if (message === null) {
      this.#options.log.warn({ length: text?.length ?? 0 }, 'ignored a malformed message from authentik');
      return;
    }
    const { instruction, args } = message;
    if (instruction === INSTRUCTION.triggerUpdate) {
      this.#options.onTriggerUpdate();
    } else if (instruction === INSTRUCTION.sessionEnd || (instruction === INSTRUCTION.providerSpecific && args.sub_type === 'logout')) {
      if (typeof args.session_id === 'string' && args.session_id !== '') this.#options.onSessionEnd(args.session_id);
      else this.#options.log.warn({ instruction }, 'ignored a session end without session_id');
    }
  }

  #dropped(socket: WebSocket): void {
    if (this.#socket !== socket) return;
    this.#socket = null;
    this.#stopTimers();
    this.#setConnected(false);
    if (this.#closed) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#options.maxBackoffMs ?? MAX_BACKOFF_MS);
    this.#options.log.warn({ retryInMs: delay, attempt: this.#attempt + 1 }, 'authentik websocket closed; reconnecting');
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#connect();
    }, delay);
    this.#retry.unref();
  }

  #setConnected(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    this.#options.onConnectionChange(connected);
  }

  #stopTimers(): void {
    if (this.#hello !== null) clearInterval(this.#hello);
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#hello = null;
    this.#retry = null;
  }
}

interface Message {
  readonly instruction: number;
  readonly args: Readonly<Record<string, unknown>>;
}

function parseMessage(text: string | null): Message | null {
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isPlainObject(value) || typeof value.instruction !== 'number') return null;
  return { instruction: value.instruction, args: isPlainObject(value.args) ? value.args : {} };
}
