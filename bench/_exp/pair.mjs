import { fork, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
const [a, b] = process.argv.slice(2, 4); const rate = Number(process.argv[4] ?? 3000); const rounds = Number(process.argv[5] ?? 4);
const start = (v) => new Promise((res) => { const c = fork(new URL('./srv.mjs', import.meta.url).pathname, [v], { execArgv: ['--max-semi-space-size=64', '--no-allocation-site-pretenuring'] }); c.on('message', (m) => res({ ...m, child: c })); });
const A = await start(a), B = await start(b);
for (const p of [A.pid, B.pid]) spawnSync('taskset', ['-a', '-p', '-c', '1', String(p)]);
spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]);
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8'); const x = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(x[11]) + Number(x[12])) / 100; };
const load = (s, d) => new Promise((res) => { const c0 = cpu(s.pid); autocannon({ url: `${s.url}/x`, connections: 25, duration: d, overallRate: rate, headers: { host: 'fwd.test', cookie: 'a=b', 'x-original-url': 'http://fwd.test/private' } }, (e, r) => res({ us: (cpu(s.pid) - c0) * 1e6 / r.requests.total, n: r.requests.total, non2xx: r.non2xx })); });
await Promise.all([load(A, 2), load(B, 2)]);
const ratios = [];
for (let i = 0; i < rounds; i++) {
  const [x1, y1] = await Promise.all([load(A, 4), load(B, 4)]);
  const [y2, x2] = await Promise.all([load(B, 4), load(A, 4)]);
  const r = Math.sqrt((x1.us / y1.us) * (x2.us / y2.us)); ratios.push(r);
  console.log(`${a} ${((x1.us + x2.us) / 2).toFixed(1)} µs  ${b} ${((y1.us + y2.us) / 2).toFixed(1)} µs  ratio ${r.toFixed(3)} diff ${((x1.us + x2.us - y1.us - y2.us) / 2).toFixed(1)} non2xx ${x1.non2xx + y1.non2xx}`);
}
ratios.sort(); console.log('median', ratios[ratios.length >> 1].toFixed(3));
A.child.kill(); B.child.kill(); process.exit(0);
