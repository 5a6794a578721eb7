/**
 * Prometheus text exposition (format 0.0.4), written by hand: a latency histogram, a few counters and gauges
 * computed when scraped. Small enough that a client library (prom-client) would add more than it saves.
 */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k] as string)}"`)
    .join(',');
}

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}

interface HistogramSeries {
  labels: string;
  counts: number[];
  sum: number;
  count: number;
}

export interface GaugeSample {
  labels?: Labels;
  value: number;
}

export interface GaugeSource {
  name: string;
  help: string;
  type?: 'gauge' | 'counter';
  /** Called at scrape time; a throwing source is skipped (and reported by tradelog_metrics_errors). */
  collect: () => GaugeSample[];
}

export class Metrics {
  private readonly latency = new Map<string, HistogramSeries>();
  private readonly counters = new Map<string, { help: string; series: Map<string, number> }>();
  private readonly sources: GaugeSource[] = [];
  private scrapeErrors = 0;

  observeRequest(labels: { method: string; route: string; status: string }, seconds: number): void {
    const key = labelKey(labels);
    let s = this.latency.get(key);
    if (!s) {
      s = { labels: key, counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(key, s);
    }
    for (let i = 0; i < LATENCY_BUCKETS.length; i++)
      if (seconds <= (LATENCY_BUCKETS[i] as number)) s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += seconds;
    s.count += 1;
  }

  /** Increment a counter, e.g. `tradelog_jobs_total{kind="market-update",outcome="ok"}`. */
  inc(name: string, help: string, labels: Labels, by = 1): void {
    let c = this.counters.get(name);
    if (!c) {
      c = { help, series: new Map() };
      this.counters.set(name, c);
    }
    const key = labelKey(labels);
    c.series.set(key, (c.series.get(key) ?? 0) + by);
  }

  addSource(source: GaugeSource): void {
    this.sources.push(source);
  }

  render(): string {
    const out: string[] = [];
    out.push('# HELP tradelog_http_request_duration_seconds Time to answer an HTTP request, by route pattern.');
    out.push('# TYPE tradelog_http_request_duration_seconds histogram');
    for (const s of this.latency.values()) {
      const sep = s.labels ? ',' : '';
      LATENCY_BUCKETS.forEach((b, i) => {
        out.push(`tradelog_http_request_duration_seconds_bucket{${s.labels}${sep}le="${b}"} ${s.counts[i]}`);
      });
      out.push(`tradelog_http_request_duration_seconds_bucket{${s.labels}${sep}le="+Inf"} ${s.count}`);
      out.push(`tradelog_http_request_duration_seconds_sum{${s.labels}} ${fmt(s.sum)}`);
      out.push(`tradelog_http_request_duration_seconds_count{${s.labels}} ${s.count}`);
    }
    for (const [name, c] of this.counters) {
      out.push(`# HELP ${name} ${c.help}`);
      out.push(`# TYPE ${name} counter`);
      for (const [labels, v] of c.series) out.push(`${name}{${labels}} ${fmt(v)}`);
    }
    for (const src of this.sources) {
      let samples: GaugeSample[];
      try {
        samples = src.collect();
      } catch {
        this.scrapeErrors++;
        continue;
      }
      out.push(`# HELP ${src.name} ${src.help}`);
      out.push(`# TYPE ${src.name} ${src.type ?? 'gauge'}`);
      for (const s of samples) out.push(`${src.name}${s.labels ? `{${labelKey(s.labels)}}` : ''} ${fmt(s.value)}`);
    }
    out.push('# HELP tradelog_metrics_errors_total Metric sources that failed while being scraped.');
    out.push('# TYPE tradelog_metrics_errors_total counter');
    out.push(`tradelog_metrics_errors_total ${this.scrapeErrors}`);
    const mem = process.memoryUsage();
    out.push('# HELP process_resident_memory_bytes Resident memory size in bytes.');
    out.push('# TYPE process_resident_memory_bytes gauge');
    out.push(`process_resident_memory_bytes ${mem.rss}`);
    out.push('# HELP nodejs_heap_used_bytes V8 heap in use.');
    out.push('# TYPE nodejs_heap_used_bytes gauge');
    out.push(`nodejs_heap_used_bytes ${mem.heapUsed}`);
    out.push('# HELP process_uptime_seconds Seconds since the process started.');
    out.push('# TYPE process_uptime_seconds gauge');
    out.push(`process_uptime_seconds ${fmt(Math.round(process.uptime() * 1000) / 1000)}`);
    return `${out.join('\n')}\n`;
  }
}
