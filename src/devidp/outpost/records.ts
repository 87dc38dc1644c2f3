import type { OutpostApiCall, OutpostConnection, OutpostReceivedMessage } from './types.js';

export const DEFAULT_WAIT_MS = 5000;

type ConnectionFields = Omit<OutpostConnection, 'id' | 'state' | 'openedAt' | 'closedAt' | 'closeCode'>;

interface Waiter<T> {
  readonly matches: (record: T) => boolean;
  readonly resolve: (record: T) => void;
}

/**
 * What the outpost saw, for tests to assert on: API calls, websocket connections and received
 * messages. Records are immutable snapshots (a connection's record is replaced when it closes);
 * waiters are checked against every new or changed record.
 */
export class OutpostRecorder {
  readonly #calls: OutpostApiCall[] = [];
  readonly #connections = new Map<number, OutpostConnection>();
  readonly #messages: OutpostReceivedMessage[] = [];
  readonly #connectionWaiters = new Set<Waiter<OutpostConnection>>();
  readonly #messageWaiters = new Set<Waiter<OutpostReceivedMessage>>();
  readonly #now: () => Date;
  #nextConnectionId = 1;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  recordCall(call: Omit<OutpostApiCall, 'at'>): void {
    this.#calls.push({ ...call, at: this.#now() });
  }

  /** Records a handshake; the returned id names the connection in later records. */
  recordHandshake(fields: ConnectionFields): number {
    const id = this.#nextConnectionId++;
    const state = fields.authorized ? 'open' : 'refused';
    const at = this.#now();
    this.#updateConnection({ ...fields, id, state, openedAt: at, closedAt: state === 'refused' ? at : null, closeCode: null });
    return id;
  }

  recordClose(id: number, closeCode: number): void {
    const connection = this.#connections.get(id);
    if (connection === undefined || connection.state !== 'open') return;
    this.#updateConnection({ ...connection, state: 'closed', closedAt: this.#now(), closeCode });
  }

  recordMessage(message: Omit<OutpostReceivedMessage, 'at'>): void {
    const record = { ...message, at: this.#now() };
    this.#messages.push(record);
    notify(this.#messageWaiters, record);
  }

  calls(): readonly OutpostApiCall[] {
    return [...this.#calls];
  }

  connections(): readonly OutpostConnection[] {
    return [...this.#connections.values()];
  }

  messages(): readonly OutpostReceivedMessage[] {
    return [...this.#messages];
  }

  /** Open connections stay: they are still live, and their close must still be recorded. */
  reset(): void {
    this.#calls.length = 0;
    this.#messages.length = 0;
    for (const [id, connection] of this.#connections) if (connection.state !== 'open') this.#connections.delete(id);
  }

  waitForConnection(matches: (c: OutpostConnection) => boolean, timeoutMs: number): Promise<OutpostConnection> {
    return waitFor(this.connections(), this.#connectionWaiters, matches, timeoutMs, 'an outpost websocket connection');
  }

  waitForMessage(matches: (m: OutpostReceivedMessage) => boolean, timeoutMs: number): Promise<OutpostReceivedMessage> {
    return waitFor(this.messages(), this.#messageWaiters, matches, timeoutMs, 'an outpost websocket message');
  }

  #updateConnection(connection: OutpostConnection): void {
    this.#connections.set(connection.id, connection);
    notify(this.#connectionWaiters, connection);
  }
}

function notify<T>(waiters: Set<Waiter<T>>, record: T): void {
  for (const waiter of waiters) {
    if (waiter.matches(record)) waiter.resolve(record);
  }
}

function waitFor<T>(seen: readonly T[], waiters: Set<Waiter<T>>, matches: (record: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const found = seen.find(matches);
  if (found !== undefined) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const waiter: Waiter<T> = {
      matches,
      resolve: (record) => {
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(record);
      },
    };
    const timer = setTimeout(() => {
      waiters.delete(waiter);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    waiters.add(waiter);
  });
}
