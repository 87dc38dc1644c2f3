import { fileURLToPath } from 'node:url';

import WebSocket from 'ws';

import { startDevIdp } from '../../src/devidp/index.js';
import type { DevIdp, DevIdpOptions, OutpostEventMessage } from '../../src/devidp/index.js';

export const OUTPOST_USERS_FILE = fileURLToPath(new URL('./fixtures/outpost-users.yaml', import.meta.url));
export const CERT_FILE = fileURLToPath(new URL('./fixtures/app.localhost.cert.pem', import.meta.url));
export const KEY_FILE = fileURLToPath(new URL('./fixtures/app.localhost.key.pem', import.meta.url));
export const OUTPOST_TOKEN = 'dev-outpost-token';
/** What authentik's Go outpost sends (`goauthentik.io/outpost/<version>`). */
export const OUTPOST_UA = 'goauthentik.io/outpost/2025.12.0';

export function startOutpostIdp(options: Partial<DevIdpOptions> = {}): Promise<DevIdp> {
  return startDevIdp({ users: OUTPOST_USERS_FILE, ...options });
}

export interface ApiOptions {
  /** null: no Authorization header. */
  readonly token?: string | null;
  readonly method?: string;
}

/** One call to the outpost API as the Go outpost makes it. */
export async function api(idp: DevIdp, pathAndQuery: string, options: ApiOptions = {}): Promise<{ status: number; body: unknown; response: Response }> {
  const token = options.token === undefined ? OUTPOST_TOKEN : options.token;
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': OUTPOST_UA };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  const response = await fetch(`${idp.url}${pathAndQuery}`, { method: options.method ?? 'GET', headers });
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json');
  return { status: response.status, body: isJson ? (JSON.parse(text) as unknown) : text, response };
}

export interface SocketOptions {
  readonly token?: string;
  readonly pk?: string;
  readonly instanceUuid?: string;
  readonly attempt?: number;
}

/** A websocket client that keeps every text frame it receives, like the outpost's event loop. */
export class OutpostSocket {
  readonly ws: WebSocket;
  readonly received: string[] = [];
  readonly #listeners = new Set<() => void>();
  readonly #closed: Promise<number>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.#closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (data) => {
      this.received.push(data.toString());
      for (const listener of this.#listeners) listener();
    });
  }

  /** Resolves with the socket, or rejects with the handshake's HTTP status as `status`. */
  static open(idp: DevIdp, options: SocketOptions = {}): Promise<OutpostSocket> {
    const url = new URL(`/ws/outpost/${options.pk ?? idp.outpost.pk}/`, idp.url.replace(/^http/, 'ws'));
    if (options.attempt !== undefined) url.searchParams.set('attempt', String(options.attempt));
    url.searchParams.set('instance_uuid', options.instanceUuid ?? '5f0b7a4e-9a40-4b8e-8f3c-2d2c1f7e0a11');
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${options.token ?? OUTPOST_TOKEN}`, 'user-agent': OUTPOST_UA } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new OutpostSocket(ws)));
      ws.once('unexpected-response', (_req, res) => {
        reject(Object.assign(new Error(`handshake answered ${res.statusCode}`), { status: res.statusCode }));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  send(message: OutpostEventMessage | string): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Waits until the socket has received `count` frames in all; returns them parsed. */
  async receive(count: number, timeoutMs = 3000): Promise<unknown[]> {
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.received.length < count) return;
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`expected ${count} frames, got ${this.received.length}: ${this.received.join(' | ')}`));
      }, timeoutMs);
      this.#listeners.add(check);
      check();
    });
    return this.received.slice(0, count).map((text) => JSON.parse(text) as unknown);
  }

  /** Resolves with the close code once the connection is gone. */
  closed(): Promise<number> {
    return this.#closed;
  }

  close(): void {
    this.ws.close(1000);
  }
}

export const HELLO: OutpostEventMessage = {
  instruction: 1,
  args: { version: '2025.12.0', buildHash: '', uuid: '5f0b7a4e-9a40-4b8e-8f3c-2d2c1f7e0a11', hostname: 'test-host' },
};
