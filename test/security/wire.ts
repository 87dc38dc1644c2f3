/**
 * HTTP/1.1 on the wire, for attacks that Node's and undici's clients would refuse to send or
 * would normalize away: hand-written bytes go out on a bare socket, and every response that
 * comes back is parsed in order, interim `100 Continue` included, with whether its body was
 * complete (a truncated body must never look complete).
 */

import { connect, type Socket } from 'node:net';

export interface WireResponse {
  readonly status: number;
  /** Header lines as received, names lower-cased, in order. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** The body ended where its framing said it would (Content-Length reached, last chunk seen). */
  readonly complete: boolean;
  /** `chunked`, `length` or `close` (delimited by the end of the connection). */
  readonly framing: 'chunked' | 'length' | 'close' | 'none';
}

export interface WireExchange {
  readonly responses: readonly WireResponse[];
  /** The server closed the connection (as opposed to the read timing out). */
  readonly closedByServer: boolean;
  readonly raw: Buffer;
}

/** Every value of header `name` in a response. */
export function values(response: WireResponse, name: string): string[] {
  return response.headers.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v);
}

/** Final (non-1xx) responses only. */
export function finals(exchange: WireExchange): WireResponse[] {
  return exchange.responses.filter((r) => r.status >= 200);
}

/** CRLF-joined request text: header lines, then an empty line, then `body`. */
export function message(lines: readonly string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** A socket the test writes to and reads from at its own pace. */
export class WireConnection {
  readonly #socket: Socket;
  #received = Buffer.alloc(0);
  #closed = false;
  #waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#closed = true;
        this.#wake();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<WireConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new WireConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Bytes as written; strings go out as latin1, byte for byte. */
  write(data: string | Buffer): void {
    this.#socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  get received(): Buffer {
    return this.#received;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Resolves once `done(received)` holds or the server closed; false after `timeoutMs` without either. */
  async waitFor(done: (received: Buffer) => boolean, timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.#received) && !this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return done(this.#received) || this.#closed;
  }

  /** What was received so far, parsed. */
  exchange(): WireExchange {
    return { responses: parseResponses(this.#received), closedByServer: this.#closed, raw: this.#received };
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Sends `text` and reads until the server closes the connection (end the last request with
 * `Connection: close`) or `timeoutMs` passes, whichever is first.
 */
export async function exchange(port: number, text: string | Buffer, timeoutMs = 10_000): Promise<WireExchange> {
  const connection = await WireConnection.open(port);
  try {
    connection.write(text);
    await connection.waitFor(() => false, timeoutMs);
    return connection.exchange();
  } finally {
    connection.destroy();
  }
}

/** Parses consecutive responses; the last one may be cut short (then `complete` is false). */
export function parseResponses(raw: Buffer): WireResponse[] {
  const responses: WireResponse[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at, 'latin1');
    if (end === -1) break;
    const [statusLine = '', ...lines] = raw.subarray(at, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
    const headers = lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
    });
    at = end + 4;
    const header = (name: string) => headers.find(([n]) => n === name)?.[1];
    if (status < 200 || status === 204 || status === 304) {
      responses.push({ status, headers, body: Buffer.alloc(0), complete: true, framing: 'none' });
      continue;
    }
    if (/chunked/i.test(header('transfer-encoding') ?? '')) {
      const { body, next, complete } = dechunk(raw, at);
      responses.push({ status, headers, body, complete, framing: 'chunked' });
      at = next;
    } else if (header('content-length') !== undefined) {
      const length = Number(header('content-length'));
      const body = raw.subarray(at, at + length);
      responses.push({ status, headers, body, complete: body.length === length, framing: 'length' });
      at += length;
    } else {
      responses.push({ status, headers, body: raw.subarray(at), complete: true, framing: 'close' });
      at = raw.length;
    }
  }
  return responses;
}

function dechunk(raw: Buffer, start: number): { body: Buffer; next: number; complete: boolean } {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at, 'latin1');
    if (lineEnd === -1) return { body: Buffer.concat(parts), next: raw.length, complete: false };
    const size = Number.parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(parts), next: raw.length, complete: false };
    if (size === 0) {
      // The last chunk, optional trailer lines, then an empty line.
      const end = raw.indexOf('\r\n\r\n', lineEnd, 'latin1');
      return end === -1 ? { body: Buffer.concat(parts), next: raw.length, complete: false } : { body: Buffer.concat(parts), next: end + 4, complete: true };
    }
    const data = raw.subarray(lineEnd + 2, lineEnd + 2 + size);
    parts.push(data);
    if (data.length < size || lineEnd + 2 + size + 2 > raw.length) return { body: Buffer.concat(parts), next: raw.length, complete: false };
    at = lineEnd + 2 + size + 2;
  }
}
