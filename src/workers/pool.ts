/**
 * The primary's workers: forks them, knows which are listening, replaces one that dies (after
 * a backoff, so a crash loop does not spin), asks them questions with a deadline, and drains
 * them. A worker that dies before the first start-up completed is no crash to recover from
 * but a gateway that cannot start (a port in use, a configuration that fails in the worker):
 * `start()` rejects with its exit code and nothing is re-forked.
 */

import cluster, { type Worker } from 'node:cluster';
import { PortcullisError } from '../errors/index.js';
import type { Logger } from '../observability/index.js';
import { RestartBackoff, type BackoffPolicy } from './backoff.js';
import { workerExecArgv } from './heap-flags.js';
import { isToPrimary, type GatewayUrls, type MetricsJson, type ToPrimary, type ToWorker } from './messages.js';

export interface PoolOptions {
  readonly size: number;
  readonly logger: Logger;
  readonly backoff?: BackoffPolicy;
  /** Called when a worker that died unexpectedly is replaced. */
  readonly onRestart?: () => void;
}

interface Member {
  readonly worker: Worker;
  readonly pid: number;
  readonly forkedAt: number;
  listening: boolean;
}

/** A worker ended before every worker of the first start-up was listening. */
export class WorkerStartFailure extends PortcullisError {
  /** The worker's exit code (1 when a signal ended it): what `portcullis run` exits with. */
  readonly exitCode: number;

  constructor(exitCode: number, detail: string) {
    super('PCL_WORKER_START', `a worker ended during start-up (${detail})`);
    this.name = 'WorkerStartFailure';
    this.exitCode = exitCode;
  }
}

type Answer<W extends 'readiness' | 'metrics'> = W extends 'readiness' ? boolean : MetricsJson;

export class WorkerPool {
  readonly size: number;
  readonly #log: Logger;
  readonly #backoff: RestartBackoff;
  readonly #onRestart: (() => void) | undefined;
  readonly #members = new Map<number, Member>();
  readonly #pendingForks = new Set<NodeJS.Timeout>();
  readonly #questions = new Map<number, (message: ToPrimary) => void>();
  #nextQuestion = 1;
  #started = false;
  #stopping = false;
  #urls: GatewayUrls | null = null;
  #exitCodes: number[] = [];
  #startWaiter: { resolve: (urls: GatewayUrls) => void; reject: (error: WorkerStartFailure) => void } | null = null;
  #allExited: (() => void) | null = null;

  constructor(options: PoolOptions) {
    this.size = options.size;
    this.#log = options.logger;
    this.#backoff = new RestartBackoff(options.backoff);
    this.#onRestart = options.onRestart;
    cluster.on('message', (worker, message: unknown) => this.#onMessage(worker, message));
    cluster.on('exit', (worker, code, signal) => this.#onExit(worker, code, signal));
  }

  /** Forks every worker; resolves with the listeners' URLs once all of them listen. */
  start(): Promise<GatewayUrls> {
    const started = new Promise<GatewayUrls>((resolve, reject) => {
      this.#startWaiter = { resolve, reject };
    });
    for (let i = 0; i < this.size; i += 1) this.#fork();
    return started;
  }

  /** The pids of the running workers (for CPU accounting and logs). */
  pids(): number[] {
    return [...this.#members.values()].map((member) => member.pid);
  }

  /** How many workers have their listeners open. */
  listening(): number {
    return [...this.#members.values()].filter((member) => member.listening).length;
  }

  /** True when every configured worker listens; false while one is being replaced or draining. */
  complete(): boolean {
    return !this.#stopping && this.listening() === this.size;
  }

  /** Sends a message to every worker that listens. */
  broadcast(message: ToWorker): void {
    for (const member of this.#members.values()) {
      if (member.listening && member.worker.isConnected()) member.worker.send(message);
    }
  }

  /** Asks every listening worker; an answer missing after `timeoutMs` is null. */
  async ask<W extends 'readiness' | 'metrics'>(what: W, timeoutMs: number): Promise<(Answer<W> | null)[]> {
    const members = [...this.#members.values()].filter((member) => member.listening && member.worker.isConnected());
    return Promise.all(members.map((member) => this.#askOne(member.worker, what, timeoutMs)));
  }

  /**
   * SIGTERM to every worker (each drains as a single process does) and no more replacements;
   * resolves with 0 when every worker exited with 0, else 1. Workers still running after
   * `deadlineMs` are killed.
   */
  async stop(deadlineMs: number): Promise<number> {
    this.#stopping = true;
    for (const timer of this.#pendingForks) clearTimeout(timer);
    this.#pendingForks.clear();
    const exited = new Promise<void>((resolve) => {
      this.#allExited = resolve;
    });
    if (this.#members.size === 0) this.#allExited?.();
    for (const member of this.#members.values()) member.worker.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      for (const member of this.#members.values()) {
        this.#log.error({ worker: member.worker.id, workerPid: member.pid }, 'worker did not drain in time; killing it');
        member.worker.process.kill('SIGKILL');
      }
    }, deadlineMs);
    await exited;
    clearTimeout(deadline);
    return this.#exitCodes.every((code) => code === 0) ? 0 : 1;
  }

  #fork(replacing?: number): void {
    cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS ?? '') });
    const worker = cluster.fork();
    const pid = worker.process.pid ?? 0;
    this.#members.set(worker.id, { worker, pid, forkedAt: Date.now(), listening: false });
    this.#log.debug({ worker: worker.id, workerPid: pid, replacing }, 'worker forked');
  }

  #askOne<W extends 'readiness' | 'metrics'>(worker: Worker, what: W, timeoutMs: number): Promise<Answer<W> | null> {
    const id = this.#nextQuestion++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#questions.delete(id);
        resolve(null);
      }, timeoutMs);
      this.#questions.set(id, (message) => {
        clearTimeout(timer);
        this.#questions.delete(id);
        if (message.portcullis === 'ready-answer') resolve(message.ready as Answer<W>);
        else if (message.portcullis === 'metrics-answer') resolve(message.metrics as Answer<W>);
        else resolve(null);
      });
      try {
        worker.send({ portcullis: 'ask', id, what } satisfies ToWorker);
      } catch {
        // The channel closed between the check and the send: no answer, like a silent worker.
      }
    });
  }

  #onMessage(worker: Worker, message: unknown): void {
    if (!isToPrimary(message)) return;
    if (message.portcullis === 'listening') {
      this.#onListening(worker, message.urls);
      return;
    }
    this.#questions.get(message.id)?.(message);
  }

  #onListening(worker: Worker, urls: GatewayUrls): void {
    const member = this.#members.get(worker.id);
    if (member === undefined) return;
    member.listening = true;
    this.#urls ??= urls;
    if (this.#started) {
      this.#log.info({ worker: worker.id, workerPid: member.pid }, 'worker replaced');
      return;
    }
    if (this.listening() === this.size) {
      this.#started = true;
      this.#startWaiter?.resolve(urls);
      this.#startWaiter = null;
    }
  }

  #onExit(worker: Worker, code: number, signal: string | null): void {
    const member = this.#members.get(worker.id);
    if (member === undefined) return;
    this.#members.delete(worker.id);
    const exit = { worker: worker.id, workerPid: member.pid, code, signal };
    if (this.#stopping) {
      this.#exitCodes.push(signal === null ? code : 1);
      this.#log.info(exit, 'worker exited');
      if (this.#members.size === 0) this.#allExited?.();
      return;
    }
    if (!this.#started) {
      this.#startWaiter?.reject(new WorkerStartFailure(signal === null && code !== 0 ? code : 1, signal === null ? `exit code ${code}` : `signal ${signal}`));
      this.#startWaiter = null;
      return;
    }
    const livedMs = Date.now() - member.forkedAt;
    const delayMs = this.#backoff.next(livedMs);
    this.#log.error({ ...exit, livedMs, restartInMs: delayMs }, 'worker died unexpectedly; replacing it');
    const timer = setTimeout(() => {
      this.#pendingForks.delete(timer);
      this.#onRestart?.();
      this.#fork(worker.id);
    }, delayMs);
    this.#pendingForks.add(timer);
  }
}
