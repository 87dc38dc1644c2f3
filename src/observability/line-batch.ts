/**
 * Gathers log lines into chunks before they reach the batching stdout stream (pino's
 * SonicBoom). SonicBoom appends every write to its last pending string and measures that
 * string's byte length again on each write; V8 must flatten the concatenation to measure it,
 * so line by line it copied its whole pending batch once per line (one access line per
 * request, a batch of 4 KiB and more). Handed a chunk at a time, it measures once per chunk.
 *
 * Lines are never held longer than the stream itself would hold them: a chunk is handed over
 * once it reaches `minLength` bytes (the stream's own batch size), on `flush`, within
 * `intervalMs`, and when the process exits.
 */

/** What LineBatch needs of the stream (SonicBoom's methods). */
export interface BatchTarget {
  write(chunk: string): boolean;
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
  /** Set once the stream has ended (SonicBoom sets it; its typings omit it). */
  readonly destroyed?: boolean;
}

export interface LineBatchOptions {
  /** Bytes at which a chunk is handed over: the stream's own `minLength`. */
  readonly minLength: number;
  /** At most this long before a line is handed over and the stream flushed. */
  readonly intervalMs: number;
}

export class LineBatch {
  readonly #target: BatchTarget;
  readonly #minLength: number;
  readonly #intervalMs: number;
  #pending = '';
  #bytes = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(target: BatchTarget, options: LineBatchOptions) {
    this.#target = target;
    this.#minLength = options.minLength;
    this.#intervalMs = options.intervalMs;
  }

  write(line: string): boolean {
    if (this.#pending === '') {
      withPendingLines.add(this);
      installExitHandler();
    }
    this.#pending += line;
    this.#bytes += Buffer.byteLength(line);
    // Below minLength the stream would not write the chunk either; at it, it does at once.
    if (this.#bytes >= this.#minLength) {
      this.#handOver();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(this.#onTimer, this.#intervalMs);
      this.#timer.unref();
    }
    return true;
  }

  flush(callback?: (error?: Error) => void): void {
    this.#handOver();
    if (this.#target.destroyed === true) {
      callback?.();
      return;
    }
    this.#target.flush(callback);
  }

  flushSync(): void {
    if (this.#target.destroyed === true) return;
    // The stream's own pending lines first: they are older. The chunk is then below
    // minLength, so the stream keeps it until flushSync writes it, in this turn.
    this.#target.flushSync();
    if (this.#pending !== '') {
      this.#handOver();
      this.#target.flushSync();
    }
  }

  readonly #onTimer = (): void => {
    this.#timer = null;
    this.#handOver();
    if (this.#target.destroyed !== true) this.#target.flush();
  };

  #handOver(): void {
    if (this.#pending === '') return;
    const chunk = this.#pending;
    this.#pending = '';
    this.#bytes = 0;
    withPendingLines.delete(this);
    if (this.#target.destroyed !== true) this.#target.write(chunk);
  }
}

/** Batches holding lines, for the exit handler (a batch without lines is not referenced here). */
const withPendingLines = new Set<LineBatch>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // beforeExit: the loop is still running, so the stream's own exit handling (a flush, then
  // its end) writes the chunk too. exit: nothing asynchronous runs any more.
  process.on('beforeExit', () => {
    for (const batch of withPendingLines) batch.flush();
  });
  process.on('exit', () => {
    for (const batch of withPendingLines) batch.flushSync();
  });
}
