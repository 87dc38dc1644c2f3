/**
 * Which garbage-collection state a gateway under row 4's load ends up in (bench/RESULTS.md:
 * in some processes every scavenge promotes megabytes and costs ~28 µs per request, in others
 * ~2 µs). Starts the echo upstream, the IdP and N gateways one after the other, each with
 * `--max-semi-space-size=64 --trace-gc` (its stdout, where V8 traces, to /tmp/portcullis-gc-<k>.log),
 * optionally warms each as the bench's IdP rows do, then reports per 4 s window of row 4's load:
 * req/s, scavenges and their µs per request, mark-compacts.
 *
 *   node bench/gc-state.mjs [--gateways 2] [--windows 4] [--preload] [--flags=--a-v8-flag]
 *
 * Needs a build (`npm run build`).
 */

import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { request } from 'undici';
import { spawnServer } from './servers.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const DIST = join(HERE, '..', 'dist');
const { values: opts } = parseArgs({
  options: {
    gateways: { type: 'string', default: '2' },
    windows: { type: 'string', default: '4' },
    preload: { type: 'boolean', default: false },
    // More V8 flags for the gateways, e.g. `--no-allocation-site-pretenuring`.
    flags: { type: 'string', default: '' },
  },
});
const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const upstream = spawnServer('upstream', { dist: DIST });
const idp = spawnServer('idp', { dist: DIST });
const [up, issuer] = await Promise.all([upstream.ready, idp.ready]);
try {
  for (let k = 0; k < Number(opts.gateways); k += 1) {
    const log = `/tmp/portcullis-gc-${k}.log`;
    const gateway = spawnServer('portcullis', { dist: DIST, upstream: up.url, issuer: issuer.issuer, logLevel: 'info' }, {
      execArgv: ['--max-semi-space-size=64', '--trace-gc', ...opts.flags.split(' ').filter((flag) => flag !== '')],
      stdout: openSync(log, 'w'),
    });
    const { url } = await gateway.ready;
    const login = await request(`${url}/private`, { headers: { host: 'app.test', authorization: basic('bob', 'bob-app-password') } });
    await login.body.text();
    const cookie = String([login.headers['set-cookie']].flat()[0]).split(';')[0];
    const session = { host: 'app.test', cookie };
    if (opts.preload) {
      // As the bench's IdP rows, then its rounds, leave a gateway before row 4 is measured.
      const newCredential = { host: 'app.test', authorization: basic('alice', 'alice-ci-password') };
      await autocannon({ url: `${url}/private`, headers: newCredential, connections: 50, amount: 10000 });
      await autocannon({ url: `${url}/private`, headers: session, connections: 50, amount: 10000 });
      await autocannon({ url: `${url}/private`, headers: newCredential, connections: 50, duration: 15 });
    }
    const windows = [];
    for (let w = 0; w < Number(opts.windows); w += 1) {
      const before = readFileSync(log, 'utf8').split('\n').length - 1;
      const result = await autocannon({ url: `${url}/private`, headers: session, connections: 50, duration: 4 });
      let scavengeMs = 0;
      let scavenges = 0;
      let markCompacts = 0;
      for (const line of readFileSync(log, 'utf8').split('\n').slice(before)) {
        const scavenge = /Scavenge [^,]*, ([\d.]+) \//.exec(line);
        if (scavenge !== null) {
          scavenges += 1;
          scavengeMs += Number(scavenge[1]);
        }
        if (line.includes('Mark-Compact')) markCompacts += 1;
      }
      windows.push(`${Math.round(result.requests.average)} req/s, ${scavenges} scavenges (${((scavengeMs * 1000) / result.requests.total).toFixed(1)} µs/req), ${markCompacts} mark-compact`);
    }
    process.stdout.write(`gateway ${k}: ${windows.join(' | ')}\n`);
    gateway.child.kill();
  }
} finally {
  upstream.child.kill();
  idp.child.kill();
}
process.exit(0);
