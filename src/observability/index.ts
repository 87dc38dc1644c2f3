export { createLogger, REDACTED_PATHS, type Logger, type LoggerOptions } from './logger.js';
