/**
 * Counters and histograms for the request path. prom-client validates and hashes the label
 * object on every `inc`/`observe` (a sort, a string build, a lookup); a request records four
 * such values, so that work is paid several times per request. These keep each label series
 * in nested maps keyed by the label values in declared order, so recording allocates nothing
 * once a series exists, and render the same exposition as prom-client's Counter and Histogram
 * (they register in its Registry, which aggregates them across workers like its own).
 */

import type { Registry } from 'prom-client';

type Labels<L extends string> = Readonly<Record<L, string>>;

interface Series<L extends string, S> {
  readonly labels: Labels<L>;
  readonly state: S;
}

/** One branch per label value, in the order of the label names; the last level holds the series. */
type Tree<L extends string, S> = Map<string, Tree<L, S> | Series<L, S>>;

/** What prom-client's Registry reads from a metric (the shape its own metrics return). */
interface ExportedValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly sharedLabels?: Readonly<Record<string, string>>;
  readonly value: number;
  readonly metricName?: string;
}

interface MetricOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registers: readonly Registry[];
}

abstract class LabeledMetric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'histogram';
  readonly #labelNames: readonly L[];
  #tree: Tree<L, S> = new Map();
  #series: Series<L, S>[] = [];

  constructor(options: MetricOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames;
    // prom-client's Registry takes any object with its metrics' shape.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  protected abstract fresh(): S;

  protected seriesOf(labels: Labels<L>): S {
    const names = this.#labelNames;
    let level = this.#tree;
    for (let i = 0; i < names.length - 1; i += 1) {
      const value = labels[names[i] as L];
      let next = level.get(value) as Tree<L, S> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    const last = labels[names[names.length - 1] as L];
    const found = level.get(last) as Series<L, S> | undefined;
    if (found !== undefined) return found.state;
    const series: Series<L, S> = { labels: Object.fromEntries(names.map((name) => [name, labels[name]])) as Labels<L>, state: this.fresh() };
    level.set(last, series);
    this.#series.push(series);
    return series.state;
  }

  protected allSeries(): readonly Series<L, S>[] {
    return this.#series;
  }

  reset(): void {
    this.#tree = new Map();
    this.#series = [];
  }
}

export class RequestCounter<L extends string> extends LabeledMetric<L, { value: number }> {
  readonly type = 'counter';

  inc(labels: Labels<L>, value = 1): void {
    this.seriesOf(labels).value += value;
  }

  protected fresh(): { value: number } {
    return { value: 0 };
  }

  async get(): Promise<{ name: string; help: string; type: 'counter'; values: ExportedValue[]; aggregator: string }> {
    return { name: this.name, help: this.help, type: this.type, values: this.allSeries().map((s) => ({ labels: s.labels, value: s.state.value })), aggregator: this.aggregator };
  }
}

interface HistogramState {
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class RequestHistogram<L extends string> extends LabeledMetric<L, HistogramState> {
  readonly type = 'histogram';
  readonly #bounds: readonly number[];

  constructor(options: MetricOptions<L> & { readonly buckets: readonly number[] }) {
    super(options);
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels<L>, value: number): void {
    if (!Number.isFinite(value)) return;
    const state = this.seriesOf(labels);
    const bounds = this.#bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > (bounds[bucket] as number)) bucket += 1;
    state.counts[bucket] = (state.counts[bucket] as number) + 1;
    state.sum += value;
    state.count += 1;
  }

  protected fresh(): HistogramState {
    return { counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0, count: 0 };
  }

  /** As prom-client's Histogram: the JSON form (workers' aggregation) has every label in `labels`. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: ExportedValue[]; aggregator: string }> {
    const exported = await this.getForPromString();
    return { ...exported, values: exported.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) };
  }

  /** The text exposition's form: the series' labels apart from `le` (the Registry prefers this). */
  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: ExportedValue[]; aggregator: string }> {
    const bucketName = `${this.name}_bucket`;
    const values: ExportedValue[] = [];
    for (const { labels, state } of this.allSeries()) {
      // The same entries, in the same order, as prom-client's Histogram exports.
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += state.counts[i] as number;
        values.push({ labels: { le }, sharedLabels: labels, value: cumulative, metricName: bucketName });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: labels, value: state.count, metricName: bucketName });
      values.push({ labels: {}, sharedLabels: labels, value: state.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: labels, value: state.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
