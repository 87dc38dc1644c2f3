/**
 * Gathers log lines into chunks of bytes before they reach the batching stdout stream (pino's
 * SonicBoom, in its buffer mode). In its string mode SonicBoom appends every write to its last
 * pending string and measures that string's byte length again on each write; V8 must flatten
 * the concatenation to measure it, so line by line it copied its whole pending batch once per
 * line (one access line per request), and then encoded the batch once more to write it. Here
 * each line is encoded once, straight into a slab, and SonicBoom gets the bytes.
 *
 * Lines are never held longer than the stream itself would hold them: a chunk is handed over
 * once it reaches `minLength` bytes (the stream's own batch size), on `flush`, within
 * `intervalMs`, and when the process exits.
 */

/** What LineBatch needs of the stream (SonicBoom's methods, `contentMode: 'buffer'`). */
export interface BatchTarget {
  write(chunk: Buffer): boolean;
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

const SMALLEST_SLAB = 64 * 1024;

/** UTF-8 takes at most three bytes per UTF-16 code unit (a surrogate pair: four for two). */
const MAX_BYTES_PER_UNIT = 3;

export class LineBatch {
  readonly #target: BatchTarget;
  readonly #minLength: number;
  readonly #intervalMs: number;
  readonly #slabSize: number;
  /** Chunks are cut from the slab one after another; the stream holds them until written. */
  #slab: Buffer;
  /** The pending chunk: slab[#start, #end). */
  #start = 0;
  #end = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(target: BatchTarget, options: LineBatchOptions) {
    this.#target = target;
    this.#minLength = options.minLength;
    this.#intervalMs = options.intervalMs;
    this.#slabSize = Math.max(SMALLEST_SLAB, 4 * options.minLength);
    this.#slab = Buffer.allocUnsafeSlow(this.#slabSize);
    installExitHandler();
  }

  write(line: string): boolean {
    const room = line.length * MAX_BYTES_PER_UNIT;
    if (this.#end + room > this.#slabSize) {
      if (room > this.#slabSize / 4) {
        // A line this long goes out at once, in one chunk with the lines before it: one write,
        // as the stream would have made of them.
        this.#give(Buffer.concat([this.#takePending(), Buffer.from(line, 'utf8')]));
        return true;
      }
      this.#handOver();
      this.#slab = Buffer.allocUnsafeSlow(this.#slabSize);
      this.#start = 0;
      this.#end = 0;
    }
    this.#end += this.#slab.write(line, this.#end, 'utf8');
    withPendingLines.add(this);
    // Below minLength the stream would not write the chunk either; at it, it does at once.
    if (this.#end - this.#start >= this.#minLength) {
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
    // The stream's own pending bytes first: they are older. The chunk is then below
    // minLength, so the stream keeps it until flushSync writes it, in this turn.
    this.#target.flushSync();
    if (this.#end !== this.#start) {
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
    if (this.#end !== this.#start) this.#give(this.#takePending());
  }

  /** The pending chunk, which from now on is the stream's. */
  #takePending(): Buffer {
    const chunk = this.#slab.subarray(this.#start, this.#end);
    this.#start = this.#end;
    withPendingLines.delete(this);
    return chunk;
  }

  #give(chunk: Buffer): void {
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
