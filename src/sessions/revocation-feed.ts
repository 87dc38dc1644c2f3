/**
 * Revocations between replicas sharing a Redis store: every change that ends or replaces a
 * session (sign-out, refresh, back-channel logout) is published on one channel, and every
 * replica's feed evicts those ids from its record memo. The feed is live only while its
 * subscription is: when the connection drops, messages may be lost, so the memo is emptied and
 * bypassed until the subscription is back.
 */

/** The part of an ioredis client (in subscriber mode) the feed uses. */
export interface RedisSubscriber {
  readonly status: string;
  subscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'ready' | 'close' | 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

export interface RevocationFeedOptions {
  readonly subscriber: RedisSubscriber;
  readonly channel: string;
  /** One session id that some replica ended or changed. */
  readonly onRevoked: (id: string) => void;
  /** The subscription dropped: revocations may have been missed. */
  readonly onInterrupted: () => void;
  readonly onError: (error: Error) => void;
}

/** Ids in one message are separated by spaces (session ids are base64url: never a space). */
export const REVOCATION_SEPARATOR = ' ';

export class RevocationFeed {
  readonly #options: RevocationFeedOptions;
  #live = false;
  #changes = 0;
  #closed = false;

  constructor(options: RevocationFeedOptions) {
    this.#options = options;
    const { subscriber, channel } = options;
    subscriber.on('error', options.onError);
    subscriber.on('message', (from, message) => {
      if (from !== channel) return;
      this.#changes += 1;
      for (const id of message.split(REVOCATION_SEPARATOR)) if (id !== '') options.onRevoked(id);
    });
    subscriber.on('close', () => this.#interrupted());
    subscriber.on('end', () => this.#interrupted());
    subscriber.on('ready', () => this.#subscribe());
    if (subscriber.status === 'ready') this.#subscribe();
  }

  /** Whether the memo may answer: the subscription is up, so no revocation goes unheard. */
  get live(): boolean {
    return this.#live;
  }

  /**
   * Counts revocations and interruptions. A read that saw it change between its start and its
   * end may have raced a revocation, and is not memoized.
   */
  get changes(): number {
    return this.#changes;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#interrupted();
    try {
      await this.#options.subscriber.quit();
    } catch {
      this.#options.subscriber.disconnect();
    }
  }

  #subscribe(): void {
    if (this.#closed) return;
    this.#options.subscriber.subscribe(this.#options.channel).then(
      () => {
        if (!this.#closed && this.#options.subscriber.status === 'ready') this.#live = true;
      },
      (error: unknown) => this.#options.onError(error instanceof Error ? error : new Error(String(error))),
    );
  }

  #interrupted(): void {
    this.#live = false;
    this.#changes += 1;
    this.#options.onInterrupted();
  }
}
