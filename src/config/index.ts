/**
 * Configuration: the one YAML file, `${ENV}` interpolation, validation that reports every problem
 * with its dotted path, and the immutable typed result. Nothing else in Portcullis reads the file
 * or `process.env`.
 */

export type * from './types.js';
export { loadConfig, parseConfig, readConfigDocument, validateConfig } from './load.js';
export type { ConfigDocument, ParseOptions, ValidateOptions } from './load.js';
export { configReferenceMarkdown } from './reference.js';
export { configJsonSchema } from './json-schema.js';
export { parseDuration } from './duration.js';
export { cookieNameFor } from './cookie-name.js';
export { parseCidr, type CidrResult } from './ip.js';
/** A value as problem messages show it: JSON, shortened. Never for secrets. */
export { show as showValue } from './problems.js';
export { extraHeaderProblem } from './keys/headers.js';
export { isPlainObject } from './plain.js';
