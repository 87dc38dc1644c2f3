/**
 * The bench's server processes: `bench/server.mjs <role>` started with an IPC channel, which
 * reports `{ ready }` or `{ failed }` once and then answers `call(cmd, args)` (profiles, IdP
 * call counts, close). Shared by run.mjs and gc-state.mjs.
 */

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/**
 * @param {string} role  a role of server.mjs (upstream, idp, bare-proxy, bare-route, portcullis)
 * @param {object} options  the role's JSON options
 * @param {{ execArgv?: string[], stdout?: 'ignore' | number }} [how]  Node flags; where stdout
 *   goes (default /dev/null: a gateway's JSON access log is written there, as to a log pipe)
 */
export function spawnServer(role, options = {}, { execArgv = [], stdout = 'ignore' } = {}) {
  const child = spawn(process.execPath, [...execArgv, join(HERE, 'server.mjs'), role, JSON.stringify(options)], {
    stdio: ['ignore', stdout, 'inherit', 'ipc'],
  });
  let next = 1;
  const pending = new Map();
  const ready = new Promise((resolveReady, rejectReady) => {
    child.on('message', (message) => {
      if (message.ready !== undefined) resolveReady(message.ready);
      else if (message.failed !== undefined) rejectReady(new Error(`${role} failed to start: ${message.failed}`));
      else {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(`${role}: ${message.error}`));
        else waiter?.resolve(message.result);
      }
    });
    child.once('exit', (code) => {
      rejectReady(new Error(`${role} exited with ${code}`));
      for (const waiter of pending.values()) waiter.reject(new Error(`${role} exited with ${code}`));
    });
  });
  const call = (cmd, args) =>
    new Promise((resolveCall, rejectCall) => {
      const id = next++;
      pending.set(id, { resolve: resolveCall, reject: rejectCall });
      child.send({ id, cmd, args });
    });
  return { role, child, ready, call };
}

/** Asks the server to close, and kills it if it has not exited 5 s later. */
export async function stopServer(server) {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((done) => server.child.once('exit', done));
  await server.call('close').catch(() => {});
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
