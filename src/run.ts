/**
 * `portcullis run`: start the gateway, print where it listens, and drain on SIGTERM/SIGINT.
 */

import type { Config } from './config/index.js';
import { createGateway } from './gateway/index.js';
import { createLogger } from './observability/index.js';

export async function runGateway(config: Config): Promise<number> {
  const logger = createLogger({ config: config.log });
  const gateway = await createGateway({ config, logger });
  const urls = await gateway.listen();
  logger.info(
    {
      gateway: urls.gateway,
      health: urls.health,
      applications: config.applications.map((app) => ({ name: app.name, mode: app.mode, externalHost: app.externalHost })),
    },
    'portcullis started',
  );
  const signal = await untilSignal();
  logger.info({ signal }, 'draining in-flight requests');
  await gateway.close();
  logger.info('stopped');
  logger.flush();
  return 0;
}

/** Resolves with the first SIGTERM or SIGINT. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
