/**
 * Starts a real gateway on an ephemeral loopback port for a test, from YAML text, and
 * stops it afterwards. Logs go to an in-memory sink the test can read.
 */

import { Writable } from 'node:stream';
import { parseConfig, type Config } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { createLogger } from '../../src/observability/index.js';

export const TEST_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly health: string | null;
  /** The HTTPS listener's URL when `tlsListen` is set. */
  readonly tls: string | null;
  readonly gateway: Gateway;
  readonly config: Config;
  /** Every log line written so far, parsed. */
  readonly logs: () => Record<string, unknown>[];
  readonly rawLogs: () => string;
  close(): Promise<void>;
}

/** JSON log lines, one object each. */
export function parseLogLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function configFromYaml(yaml: string, env: Record<string, string> = {}): Config {
  return parseConfig(yaml, { source: 'test.yaml', env: { PORTCULLIS_SECRET: TEST_SECRET, ...env }, baseDir: process.cwd() });
}

export async function startGateway(yaml: string, env: Record<string, string> = {}): Promise<RunningGateway> {
  const config = configFromYaml(yaml, env);
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  const logger = createLogger({ config: { level: 'info', format: 'json' }, destination: sink });
  const gateway = await createGateway({ config, logger });
  const urls = await gateway.listen();
  const port = Number(new URL(urls.gateway).port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    health: urls.health,
    tls: urls.tls,
    gateway,
    config,
    rawLogs: () => text,
    logs: () => parseLogLines(text),
    close: () => gateway.close(),
  };
}

/**
 * A one-application proxy-mode configuration, on ephemeral ports unless `port` is given.
 * `identity` replaces the dev IdP's client lines under `identity:` (YAML, unindented).
 */
export function proxyConfig(options: {
  upstream: string;
  externalHost?: string;
  extra?: string;
  top?: string;
  issuer?: string;
  name?: string;
  port?: number | string;
  identity?: string;
}): string {
  const identity = options.identity ?? 'clientId: portcullis\nclientSecret: portcullis-dev-secret';
  return `
listen: "127.0.0.1:${options.port ?? 0}"
metricsListen: "127.0.0.1:0"
secret: "\${PORTCULLIS_SECRET}"
${options.top ?? ''}
identity:
  issuer: "${options.issuer ?? 'http://127.0.0.1:9/unreachable'}"
${identity.replace(/^/gm, '  ')}
applications:
  - name: ${options.name ?? 'app'}
    externalHost: "${options.externalHost ?? 'http://app.test'}"
    internalHost: "${options.upstream}"
${(options.extra ?? '').replace(/^/gm, '    ')}
`;
}
