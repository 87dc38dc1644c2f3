/**
 * What a cluster primary and its workers say to each other over the IPC channel. Every message
 * carries `portcullis` (its kind), so prom-client's or Node's own messages are never mistaken
 * for ours, and ours never for theirs.
 */

import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/** A worker's registry as prom-client's `getMetricsAsJSON()` returns it. */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export interface GatewayUrls {
  readonly gateway: string;
  readonly tls: string | null;
}

/** Primary → worker. */
export type ToWorker =
  | { readonly portcullis: 'ask'; readonly id: number; readonly what: 'readiness' | 'metrics' }
  /** SIGHUP: re-read the configuration file. */
  | { readonly portcullis: 'reload' }
  /** SIGUSR1 (authentik mode): re-fetch the configuration from authentik's API. */
  | { readonly portcullis: 'refresh' };
// The drain is asked with SIGTERM, not a message: a worker still loading has nothing to drain
// and simply ends, one that runs drains (worker.ts).

/** Worker → primary. */
export type ToPrimary =
  | { readonly portcullis: 'ready-answer'; readonly id: number; readonly ready: boolean }
  | { readonly portcullis: 'metrics-answer'; readonly id: number; readonly metrics: MetricsJson }
  /** The worker's listeners are open. */
  | { readonly portcullis: 'listening'; readonly urls: GatewayUrls };

const TO_WORKER = new Set(['ask', 'reload', 'refresh']);
const TO_PRIMARY = new Set(['ready-answer', 'metrics-answer', 'listening']);

function kindOf(message: unknown): unknown {
  return typeof message === 'object' && message !== null ? (message as { portcullis?: unknown }).portcullis : undefined;
}

export function isToWorker(message: unknown): message is ToWorker {
  return TO_WORKER.has(kindOf(message) as string);
}

export function isToPrimary(message: unknown): message is ToPrimary {
  return TO_PRIMARY.has(kindOf(message) as string);
}
