export { createGateway, type Gateway, type GatewayOptions } from './server.js';
export { createHealthServer, type HealthOptions, type MetricsSource } from './health.js';
export type { Outcome, OutcomeKind } from './outcome.js';
export { decide, outcomeOf } from './decide.js';
export type { RequestFacts } from './request-facts.js';
export { prepareApplication, type PreparedApplication } from './application.js';
export { createHostRouter, normalizeHost, type HostRouter } from './host-router.js';
export { compileTrust, type TrustFunction } from './trust.js';
