/**
 * Keeps every application's compiled policies current with `policiesDir`, without a restart.
 * `fs.watch` reports changes quickly (debounced, since editors write a file in several steps);
 * a slow poll of file names, sizes and modification times catches what it misses (network
 * file systems, a folder created after start-up, Kubernetes ConfigMap link swaps). A change
 * that does not validate, or that removes a bound policy, keeps the last good set.
 */

import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { compileAllApplicationPolicies } from './bindings.js';
import type { PolicyApplication } from './bindings.js';
import { isPolicyFileName, loadPolicies } from './load.js';
import type { ApplicationPolicy, PolicySet } from './types.js';

export interface PolicyWatcherOptions {
  readonly dir: string;
  readonly applications: readonly PolicyApplication[];
  /** The configuration file, named as the source of binding errors. */
  readonly source?: string;
  /** The clock `time` policies read; default the system clock. */
  readonly now?: () => Date;
  /** After a change was applied; receives the names of the policies now loaded. */
  readonly onReload?: (names: ReadonlySet<string>) => void;
  /** After a change was refused (the last good set stays); usually a ValidationError. */
  readonly onError?: (error: Error) => void;
  /** Replaces `loadPolicies` (tests). */
  readonly load?: (dir: string) => Promise<PolicySet>;
  /** Quiet time after the last file event before reloading; default 100 ms. */
  readonly debounceMs?: number;
  /** How often the folder is polled for changes fs.watch missed; default 5 s, 0 disables. */
  readonly pollIntervalMs?: number;
  /** Use fs.watch; default true. With false only the poll notices changes. */
  readonly watch?: boolean;
}

interface Compiled {
  readonly set: PolicySet;
  readonly applications: ReadonlyMap<string, ApplicationPolicy>;
}

export class PolicyWatcher {
  private compiled: Compiled;
  private fingerprint: string;
  private fsWatcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private readonly poll: NodeJS.Timeout | null;
  private polling = false;
  private running: Promise<boolean> | null = null;
  private rerun = false;
  private closed = false;

  /**
   * Loads and compiles the policies, then starts watching.
   * @throws ValidationError when the initial set does not validate or a binding is missing:
   *   at start-up there is no last good set to keep.
   */
  static async start(options: PolicyWatcherOptions): Promise<PolicyWatcher> {
    const fingerprint = await folderFingerprint(options.dir);
    const compiled = await loadAndCompile(options);
    return new PolicyWatcher(options, compiled, fingerprint);
  }

  private constructor(
    private readonly options: PolicyWatcherOptions,
    compiled: Compiled,
    fingerprint: string,
  ) {
    this.compiled = compiled;
    this.fingerprint = fingerprint;
    this.startWatching();
    const interval = options.pollIntervalMs ?? 5000;
    this.poll = interval > 0 ? setInterval(() => void this.pollOnce(), interval) : null;
    this.poll?.unref();
  }

  /** The policies currently in force. */
  get policies(): PolicySet {
    return this.compiled.set;
  }

  /**
   * The application's compiled policy as of now. An application that was not given to the
   * watcher gets a policy that denies everything: a wiring mistake must not open the door.
   */
  current(appName: string): ApplicationPolicy {
    return this.compiled.applications.get(appName) ?? denyUnknown(appName);
  }

  /** A policy that always evaluates with whatever is current: safe to keep for the process's life. */
  live(appName: string): ApplicationPolicy {
    return { evaluate: (identity, request) => this.current(appName).evaluate(identity, request) };
  }

  /**
   * Reloads now. Resolves to true when a new set was applied, false when it was refused
   * (onError was called) or the watcher was closed. Concurrent calls share one reload, run
   * again once if a change arrived meanwhile.
   */
  reload(): Promise<boolean> {
    if (this.running !== null) {
      this.rerun = true;
      return this.running;
    }
    this.running = (async () => {
      let applied = false;
      do {
        this.rerun = false;
        applied = await this.reloadOnce();
      } while (this.rerun && !this.closed);
      return applied;
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  close(): void {
    this.closed = true;
    if (this.debounce !== null) clearTimeout(this.debounce);
    if (this.poll !== null) clearInterval(this.poll);
    this.fsWatcher?.close();
    this.fsWatcher = null;
  }

  private async reloadOnce(): Promise<boolean> {
    // Taken before reading, so a change made while loading is seen by the next poll.
    const fingerprint = await folderFingerprint(this.options.dir);
    let next: Compiled;
    try {
      next = await loadAndCompile(this.options);
    } catch (error) {
      if (this.closed) return false;
      this.fingerprint = fingerprint;
      notify(() => this.options.onError?.(error instanceof Error ? error : new Error(String(error))));
      return false;
    }
    if (this.closed) return false;
    this.compiled = next;
    this.fingerprint = fingerprint;
    notify(() => this.options.onReload?.(next.set.names));
    return true;
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.debounce !== null) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.reload();
    }, this.options.debounceMs ?? 100);
  }

  private startWatching(): void {
    if (this.options.watch === false || this.closed || this.fsWatcher !== null) return;
    try {
      const watcher = watch(this.options.dir, { persistent: false }, () => this.schedule());
      // The folder was removed or became unreadable: fall back to the poll, which re-watches.
      watcher.on('error', () => {
        watcher.close();
        if (this.fsWatcher === watcher) this.fsWatcher = null;
      });
      this.fsWatcher = watcher;
    } catch {
      // No folder yet, or no inotify watches left: the poll covers it.
      this.fsWatcher = null;
    }
  }

  private async pollOnce(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      const fingerprint = await folderFingerprint(this.options.dir);
      // A removed folder leaves fs.watch on a dead inode: drop it so a new folder is watched.
      if (fingerprint === NO_FOLDER && this.fsWatcher !== null) {
        this.fsWatcher.close();
        this.fsWatcher = null;
      }
      if (fingerprint !== NO_FOLDER) this.startWatching();
      if (fingerprint !== this.fingerprint && this.running === null && !this.closed) await this.reload();
    } finally {
      this.polling = false;
    }
  }
}

async function loadAndCompile(options: PolicyWatcherOptions): Promise<Compiled> {
  const set = await (options.load ?? loadPolicies)(options.dir);
  const applications = compileAllApplicationPolicies(set, options.applications, options);
  return { set, applications };
}

const NO_FOLDER = 'no folder';

/** Names, sizes, modification times and inodes of the policy files; cheap enough to poll. */
async function folderFingerprint(dir: string): Promise<string> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isPolicyFileName).sort();
  } catch {
    return NO_FOLDER;
  }
  const parts = await Promise.all(
    names.map(async (name) => {
      try {
        const info = await stat(join(dir, name));
        return `${name}:${info.size}:${info.mtimeMs}:${info.ino}`;
      } catch {
        return `${name}:gone`;
      }
    }),
  );
  return parts.join('\n');
}

function denyUnknown(appName: string): ApplicationPolicy {
  const decision = { allow: false, reasons: [`no policies were compiled for application ${JSON.stringify(appName)}`] } as const;
  return { evaluate: () => decision };
}

/** A failing callback (a logger) must not break reloading. */
function notify(callback: () => void): void {
  try {
    callback();
  } catch {
    // Nothing sensible to do: the caller's own handler failed.
  }
}
