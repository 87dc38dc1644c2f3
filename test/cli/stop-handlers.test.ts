/**
 * `portcullis run` takes its stop and reload handlers before it says it listens: a supervisor
 * that sends SIGTERM (or SIGHUP) the moment it reads the start-up line must get a drain (or a
 * reload), never Node's default death by signal. Observed through the controls a worker of
 * `workers: N` is given, which is the same sequence a process on its own follows with signals.
 */

import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runGateway } from '../../src/run.js';
import type { WorkerLink } from '../../src/workers/index.js';
import { configFromYaml } from '../support/gateway.js';

const CONFIG = `
listen: "127.0.0.1:0"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
log: { level: error }
identity: { issuer: "http://127.0.0.1:9", clientId: c }
applications:
  - name: app
    externalHost: "http://app.test"
    internalHost: "http://127.0.0.1:9"
    skipPathRegex: ["^/"]
`;

describe('portcullis run: stop and reload handlers', () => {
  // A process on its own: signals. A start that fails (here: the port is taken) must leave no
  // handler behind, or a process slow to exit would ignore SIGTERM, waiting for a drain.
  it('are given back when the start fails', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const before = ['SIGTERM', 'SIGINT', 'SIGHUP'].map((signal) => process.listenerCount(signal));
    try {
      await expect(runGateway(configFromYaml(CONFIG.replace('"127.0.0.1:0"', `"127.0.0.1:${port}"`)))).rejects.toThrow();
    } finally {
      taken.close();
    }
    expect(['SIGTERM', 'SIGINT', 'SIGHUP'].map((signal) => process.listenerCount(signal))).toEqual(before);
  });

  it('are in place before the gateway says it listens', async () => {
    const events: string[] = [];
    let stop: (signal: string) => void = () => undefined;
    const stopped = new Promise<string>((resolve) => {
      stop = resolve;
    });
    const link: WorkerLink = {
      bindings: { role: 'worker', worker: 1, pid: process.pid },
      controls: {
        onReload: () => events.push('onReload'),
        onRefresh: () => events.push('onRefresh'),
        untilStop: () => {
          events.push('untilStop');
          return stopped;
        },
        release: () => events.push('release'),
      },
      serve: () => events.push('serve'),
      listening: () => {
        events.push('listening');
        // What a supervisor does on reading the start-up line.
        stop('SIGTERM');
      },
      leave: () => events.push('leave'),
    };
    expect(await runGateway(configFromYaml(CONFIG), { worker: link })).toBe(0);
    const listening = events.indexOf('listening');
    expect(listening).toBeGreaterThan(-1);
    expect(events.indexOf('untilStop')).toBeGreaterThan(-1);
    expect(events.indexOf('untilStop')).toBeLessThan(listening);
    expect(events.indexOf('onReload')).toBeGreaterThan(-1);
    expect(events.indexOf('onReload')).toBeLessThan(listening);
    expect(events.indexOf('release')).toBeGreaterThan(listening);
  });
});
