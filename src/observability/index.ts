export { createLogger, REDACTED_PATHS, type Logger, type LoggerOptions } from './logger.js';
export { createMetrics, startTimer, type Metrics, type CacheCounters } from './metrics.js';
