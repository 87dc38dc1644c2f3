import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { NO_PRETENURING_FLAG, turnOffPretenuring } from '../../src/workers/index.js';
import { spawnGateway } from '../support/gateway-process.js';

const WORKERS = new URL('../../dist/workers/index.js', import.meta.url).href;

describe('a single portcullis run turns allocation-site pretenuring off itself', () => {
  it('sets the flag when the command line does not name it', () => {
    const set: string[] = [];
    expect(turnOffPretenuring(['--enable-source-maps', '--max-semi-space-size=64'], (flags) => set.push(flags))).toBe(true);
    expect(set).toEqual([NO_PRETENURING_FLAG]);
  });

  it("keeps the operator's choice, either way and in either spelling", () => {
    for (const named of ['--allocation-site-pretenuring', '--no-allocation-site-pretenuring', '--no_allocation_site_pretenuring']) {
      const set: string[] = [];
      expect(turnOffPretenuring([named], (flags) => set.push(flags))).toBe(false);
      expect(set).toEqual([]);
    }
  });

  // V8 itself: objects that survive their scavenges make it weigh pretenuring their allocation
  // site, and `--trace-pretenuring-statistics` prints each decision (`maybe tenure => tenure`).
  // Set at run time, before the allocations, the flag must leave V8 deciding none, as it does
  // on the command line (it may still weigh sites: "maybe tenure" is no decision).
  const SURVIVORS = `
    const keep = [];
    function make(i) { return { a: i, b: [i, i + 1], c: { d: i } }; }
    for (let round = 0; round < 20; round += 1) {
      for (let i = 0; i < 200000; i += 1) keep.push(make(i));
      if (keep.length > 1500000) keep.length = 0;
    }`;
  const tenured = (prelude: string): number => {
    const child = spawnSync(process.execPath, ['--trace-pretenuring-statistics', '--input-type=module', '-e', `${prelude}\n${SURVIVORS}`], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    return child.stdout.split('\n').filter((line) => line.endsWith('=> tenure')).length;
  };

  // dist/ is built by the suite's global setup, as for every test of the real binary; the
  // import is what `portcullis run` has loaded by the time it sets the flag, and more.
  it('leaves V8 no allocation site to pretenure, where without it V8 pretenures some', () => {
    expect(tenured('')).toBeGreaterThan(0);
    expect(tenured(`import { turnOffPretenuring } from ${JSON.stringify(WORKERS)}; turnOffPretenuring(process.execArgv);`)).toBe(0);
  });

  // The real binary: `portcullis run` started by hand must set the flag itself, and leave an
  // operator's `--allocation-site-pretenuring` alone. The survivors are allocated inside the
  // running gateway, well after start-up.
  const CONFIG = `
listen: "127.0.0.1:0"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
log: { level: info }
identity: { issuer: "http://127.0.0.1:9", clientId: c }
applications:
  - name: app
    externalHost: "http://app.test"
    internalHost: "http://127.0.0.1:9"
`;
  const SURVIVORS_ON_SIGNAL = new URL('fixtures/survivors-on-signal.mjs', import.meta.url).pathname;
  const tenuredInGateway = async (operatorFlags: readonly string[]): Promise<number> => {
    const gateway = await spawnGateway({ config: CONFIG, nodeFlags: [...operatorFlags, '--trace-pretenuring-statistics', '--import', SURVIVORS_ON_SIGNAL] });
    try {
      gateway.child.kill('SIGUSR2');
      await gateway.waitForLog((line) => line.msg === 'survivors done', 30_000);
      return gateway.logs().filter((line) => line.unparsed === true && String(line.msg).endsWith('=> tenure')).length;
    } finally {
      await gateway.stop();
    }
  };

  it('is what a gateway started by hand runs with, unless its command line says otherwise', async () => {
    expect(await tenuredInGateway([])).toBe(0);
    expect(await tenuredInGateway(['--allocation-site-pretenuring'])).toBeGreaterThan(0);
  }, 60_000);
});
