export { createLogger, flushed, REDACTED_PATHS, type Logger, type LoggerOptions } from './logger.js';
export { createMetrics, startTimer, type Metrics, type CacheCounters } from './metrics.js';
export { createAccessLogWriter, type AccessLine, type AccessLogWriter } from './access-line.js';
export { deferredChildLogger } from './request-logger.js';
