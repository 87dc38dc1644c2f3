const dist = process.argv[2]; const perTurn = Number(process.argv[3] ?? 5);
const { createLogger, createAccessLogWriter } = await import(`${dist}/observability/index.js`);
const logger = createLogger({ config: { level: 'info', format: 'json' } });
const write = createAccessLogWriter(logger);
const line = { app: 'fwd', method: 'GET', path: '/private', status: 200, outcome: 'allow', authMethod: 'session', user: 'bob', client: '127.0.0.1', durationMs: 0.42 };
const N = 300000;
for (let r = 0; r < 3; r++) {
  let spent = 0n;
  for (let i = 0; i < N; i += perTurn) { const t = process.hrtime.bigint(); for (let j = 0; j < perTurn; j++) write(`req-${(i + j).toString(36)}`, line); spent += process.hrtime.bigint() - t; await new Promise(setImmediate); }
  process.stderr.write(`${dist.slice(-5)} perTurn ${perTurn}: ${(Number(spent) / N).toFixed(0)} ns/line in write\n`);
}
process.exit(0);
