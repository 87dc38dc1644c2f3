/**
 * A bare TCP connection a test drives step by step: write a few bytes, look at what came
 * back so far, wait for something or for the server to close. For requests that a client
 * library would send all at once (slowloris, a body cut short, `Expect: 100-continue`).
 */

import { connect, type Socket } from 'node:net';
import { pollUntil } from './wait.js';

export interface RawSocket {
  write(text: string | Buffer): Promise<void>;
  /** Everything received so far, as latin1. */
  received(): string;
  /** Resolves when the received text satisfies `predicate`. */
  waitFor(what: string, predicate: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the time (performance.now()) at which the server closed, or rejects after `timeoutMs`. */
  closed(timeoutMs?: number): Promise<number>;
  readonly isClosed: boolean;
  destroy(): void;
}

export async function openRawSocket(port: number): Promise<RawSocket> {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  let closedAt: number | null = null;
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  // A reset after the server gave up on us is a close like any other here.
  socket.on('error', () => {});
  socket.on('close', () => {
    closedAt = performance.now();
  });
  return {
    write: (data) =>
      new Promise((resolve) => {
        if (socket.destroyed || !socket.writable) {
          resolve();
          return;
        }
        socket.write(data, () => resolve());
      }),
    received: () => text,
    async waitFor(what, predicate, timeoutMs = 5000) {
      await pollUntil(what, () => predicate(text), { timeoutMs, intervalMs: 10 });
      return text;
    },
    async closed(timeoutMs = 10_000) {
      await pollUntil('the server closes the connection', () => closedAt !== null, { timeoutMs, intervalMs: 20 });
      return closedAt as unknown as number;
    },
    get isClosed() {
      return closedAt !== null;
    },
    destroy: () => socket.destroy(),
  };
}

/** The status code of the first response in `text`, or 0 when there is none yet. */
export function firstStatus(text: string): number {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  return match === null ? 0 : Number(match[1]);
}
