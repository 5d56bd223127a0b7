import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LedgerChannel, LedgerKind } from '../domain/ledger-hash';
import { methodLabel, statusClass, type ClusterSample, type ClusterSource, type Metrics, type OdooFaultKind, type WebhookOutcome, type WebhookProvider } from './metrics';

export interface PrometheusMetricsOptions {
  cluster?: ClusterSource;
  /** Longest wait for the cluster figures on a scrape; past it they are left out of that scrape. */
  clusterTimeoutMs?: number;
  onClusterError?: (err: Error) => void;
  /** Node's default process metrics (CPU, memory, event-loop lag, GC); default true. */
  processMetrics?: boolean;
}

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ODOO_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The only module that imports prom-client. One registry per instance (tests build several in one process). */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly http: Histogram<'method' | 'route' | 'status_class'>;
  /** The request path is hot: one child per (method, route, class), looked up by a string key, not a label object. */
  private readonly httpChildren = new Map<string, Histogram.Internal<'method' | 'route' | 'status_class'>>();
  private readonly odoo: Histogram<'model' | 'method'>;
  private readonly odooFaults: Counter<'model' | 'method' | 'kind'>;
  private readonly ledger: Counter<'kind' | 'channel'>;
  private readonly webhooks: Counter<'provider' | 'outcome'>;
  private readonly jobsFailed: Counter<'queue' | 'name'>;
  private readonly jobRetries: Counter<'queue' | 'name'>;
  private readonly outboxBacklog: Gauge<'outbox'>;
  private readonly outboxAge: Gauge<'outbox'>;
  private readonly jobs: Gauge<'queue' | 'state'>;
  private readonly clusterHolder: Gauge;

  constructor(private readonly opts: PrometheusMetricsOptions = {}) {
    const registers = [this.registry];
    this.http = new Histogram({ name: 'drmoto_http_request_duration_seconds', help: 'HTTP requests by method, route template and status class.', labelNames: ['method', 'route', 'status_class'], buckets: HTTP_BUCKETS, registers });
    this.odoo = new Histogram({ name: 'drmoto_odoo_call_duration_seconds', help: 'Requests to Odoo by model and method (each retry counts), failed ones included.', labelNames: ['model', 'method'], buckets: ODOO_BUCKETS, registers });
    this.odooFaults = new Counter({ name: 'drmoto_odoo_faults_total', help: 'Failed requests to Odoo by model, method and kind (timeout, connection, http, busy, auth, server, refused, other).', labelNames: ['model', 'method', 'kind'], registers });
    this.ledger = new Counter({ name: 'drmoto_ledger_appends_total', help: 'Rows appended to the payment ledger by this process, by kind and channel.', labelNames: ['kind', 'channel'], registers });
    this.webhooks = new Counter({ name: 'drmoto_webhooks_total', help: 'Provider notifications by provider and outcome.', labelNames: ['provider', 'outcome'], registers });
    this.jobsFailed = new Counter({ name: 'drmoto_jobs_failed_total', help: 'Jobs that went to the failed list (attempts exhausted or a permanent error), by queue and job name.', labelNames: ['queue', 'name'], registers });
    this.jobRetries = new Counter({ name: 'drmoto_job_retries_total', help: 'Job runs that failed and will be retried, by queue and job name.', labelNames: ['queue', 'name'], registers });
    this.outboxBacklog = new Gauge({ name: 'drmoto_outbox_backlog', help: 'Outbox rows waiting to be settled in Odoo (cluster-wide: reported by one replica).', labelNames: ['outbox'], registers });
    this.outboxAge = new Gauge({ name: 'drmoto_outbox_oldest_age_seconds', help: 'Age of the oldest unsettled outbox row, 0 when none (cluster-wide: reported by one replica).', labelNames: ['outbox'], registers });
    this.jobs = new Gauge({ name: 'drmoto_jobs', help: 'Jobs in the queue by state (cluster-wide: reported by one replica).', labelNames: ['queue', 'state'], registers });
    this.clusterHolder = new Gauge({ name: 'drmoto_cluster_metrics_holder', help: '1 on the replica that reports the cluster-wide gauges, 0 on the others.', registers });
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const m = methodLabel(method);
    const cls = statusClass(status);
    const key = `${m} ${cls} ${route}`;
    let child = this.httpChildren.get(key);
    if (!child) {
      child = this.http.labels(m, route, cls);
      this.httpChildren.set(key, child);
    }
    child.observe(seconds);
  }

  odooCall(model: string, method: string, seconds: number, fault?: OdooFaultKind): void {
    this.odoo.labels(model, method).observe(seconds);
    if (fault) this.odooFaults.labels(model, method, fault).inc();
  }

  ledgerAppend(kind: LedgerKind, channel: LedgerChannel): void {
    this.ledger.labels(kind, channel).inc();
  }

  webhook(provider: WebhookProvider, outcome: WebhookOutcome): void {
    this.webhooks.labels(provider, outcome).inc();
  }

  jobFailed(queue: string, name: string, final: boolean): void {
    (final ? this.jobsFailed : this.jobRetries).labels(queue, name).inc();
  }

  /** The exposition text: the cluster figures first (when this replica reports them), then every metric. */
  async render(): Promise<{ contentType: string; body: string }> {
    await this.refreshCluster();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async refreshCluster(): Promise<void> {
    const source = this.opts.cluster;
    if (!source) return;
    let sample: ClusterSample | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      sample = await Promise.race([
        source.sample(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`cluster metrics took longer than ${this.opts.clusterTimeoutMs ?? 2000} ms`)), this.opts.clusterTimeoutMs ?? 2000);
        }),
      ]);
    } catch (e) {
      this.opts.onClusterError?.(e instanceof Error ? e : new Error(String(e)));
    } finally {
      clearTimeout(timer);
    }
    // A replica that does not report leaves the series out entirely (reset), so sum() and max() over replicas agree.
    this.outboxBacklog.reset();
    this.outboxAge.reset();
    this.jobs.reset();
    this.clusterHolder.set(sample ? 1 : 0);
    if (!sample) return;
    this.outboxBacklog.labels('settlement').set(sample.outboxPending);
    this.outboxAge.labels('settlement').set(sample.outboxOldestAgeSeconds);
    for (const [state, n] of Object.entries(sample.jobs)) this.jobs.labels(sample.queue, state).set(n);
  }
}
