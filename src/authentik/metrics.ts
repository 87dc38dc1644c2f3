/**
 * authentik's outpost metrics, so dashboards built for its outposts read Portcullis too:
 * `authentik_outpost_info`, `authentik_outpost_connection` (the websocket, 0/1) and
 * `authentik_outpost_last_update` (Unix time of the last configuration applied).
 */

import { Gauge, type Registry } from 'prom-client';
import { VERSION } from '../version.js';

const TYPE = 'proxy';

export class OutpostMetrics {
  readonly #info: Gauge<'outpost_name' | 'outpost_type' | 'uuid' | 'version' | 'build'>;
  readonly #connection: Gauge<'outpost_name' | 'outpost_type' | 'uuid'>;
  readonly #lastUpdate: Gauge<'outpost_name' | 'outpost_type' | 'uuid' | 'version' | 'build'>;
  readonly #build: string;

  constructor(registry: Registry, build = '') {
    this.#build = build;
    this.#info = new Gauge({ name: 'authentik_outpost_info', help: 'Outpost info', labelNames: ['outpost_name', 'outpost_type', 'uuid', 'version', 'build'], registers: [registry] });
    this.#connection = new Gauge({ name: 'authentik_outpost_connection', help: 'Outpost connection to authentik (1 connected)', labelNames: ['outpost_name', 'outpost_type', 'uuid'], registers: [registry] });
    this.#lastUpdate = new Gauge({ name: 'authentik_outpost_last_update', help: 'Time of the last configuration update (Unix seconds)', labelNames: ['outpost_name', 'outpost_type', 'uuid', 'version', 'build'], registers: [registry] });
  }

  updated(outpost: string, uuid: string, now = Date.now()): void {
    const labels = { outpost_name: outpost, outpost_type: TYPE, uuid, version: VERSION, build: this.#build };
    this.#info.set(labels, 1);
    this.#lastUpdate.set(labels, Math.floor(now / 1000));
  }

  connection(outpost: string, uuid: string, connected: boolean): void {
    this.#connection.set({ outpost_name: outpost, outpost_type: TYPE, uuid }, connected ? 1 : 0);
  }
}
