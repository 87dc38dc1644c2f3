/**
 * Portcullis configured by authentik's API, as authentik's own outposts are (DESIGN.md §4a):
 * the deployment environment, the API client, the websocket, and the source that turns them
 * into configurations for the gateway.
 */

export { authentikSettingsFrom, wantsAuthentik, DEFAULT_LISTEN, type AuthentikSettings } from './settings.js';
export { AuthentikSource, type AuthentikSourceOptions, type SourceLog } from './source.js';
export { OutpostMetrics } from './metrics.js';
export { localSettingsConfig, type Assembled, type SkippedProvider } from './assemble.js';
