import { PrometheusMetrics } from './prometheus';
import type { ClusterSample } from './metrics';

const sample: ClusterSample = { outboxPending: 3, outboxOldestAgeSeconds: 42.5, queue: 'drmoto', jobs: { waiting: 1, delayed: 2, active: 0, failed: 4 } };

describe(PrometheusMetrics.name, () => {
  describe('render', () => {
    it('writes every metric with its labels in the Prometheus text format, and the process metrics', async () => {
      const m = new PrometheusMetrics({ cluster: { sample: async () => sample } });
      m.httpRequest('POST', '/api/v1/webhooks/wechatpay', 204, 0.004);
      m.httpRequest('BREW', 'unmatched', 404, 0.001);
      m.odooCall('drmoto.work.order', 'action_close', 0.02);
      m.odooCall('drmoto.work.order', 'action_close', 10, 'timeout');
      m.ledgerAppend('charge', 'wechat');
      m.webhook('wechatpay', 'duplicate');
      m.jobFailed('drmoto', 'settle', false);
      m.jobFailed('drmoto', 'settle', true);
      const { contentType, body } = await m.render();
      expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      for (const line of [
        'drmoto_http_request_duration_seconds_count{method="POST",route="/api/v1/webhooks/wechatpay",status_class="2xx"} 1',
        'drmoto_http_request_duration_seconds_count{method="other",route="unmatched",status_class="4xx"} 1',
        'drmoto_odoo_call_duration_seconds_count{model="drmoto.work.order",method="action_close"} 2',
        'drmoto_odoo_faults_total{model="drmoto.work.order",method="action_close",kind="timeout"} 1',
        'drmoto_ledger_appends_total{kind="charge",channel="wechat"} 1',
        'drmoto_webhooks_total{provider="wechatpay",outcome="duplicate"} 1',
        'drmoto_job_retries_total{queue="drmoto",name="settle"} 1',
        'drmoto_jobs_failed_total{queue="drmoto",name="settle"} 1',
        'drmoto_outbox_backlog{outbox="settlement"} 3',
        'drmoto_outbox_oldest_age_seconds{outbox="settlement"} 42.5',
        'drmoto_jobs{queue="drmoto",state="delayed"} 2',
        'drmoto_jobs{queue="drmoto",state="failed"} 4',
        'drmoto_cluster_metrics_holder 1',
      ]) {
        expect(body.split('\n')).toContain(line);
      }
      expect(body).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
      expect(body).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    });

    it('leaves the cluster gauges out (not zero) when another replica holds them, when reading fails and when it hangs', async () => {
      const errors: string[] = [];
      let next: () => Promise<ClusterSample | undefined> = async () => sample;
      const m = new PrometheusMetrics({ processMetrics: false, clusterTimeoutMs: 50, cluster: { sample: () => next() }, onClusterError: (e) => errors.push(e.message) });
      expect((await m.render()).body).toMatch(/^drmoto_outbox_backlog\{outbox="settlement"\} 3$/m);
      for (const failing of [async () => undefined, () => Promise.reject(new Error('store down')), () => new Promise<never>(() => undefined)]) {
        next = failing;
        const { body } = await m.render();
        expect(body).not.toMatch(/^drmoto_outbox_backlog\{/m);
        expect(body).not.toMatch(/^drmoto_outbox_oldest_age_seconds\{/m);
        expect(body).not.toMatch(/^drmoto_jobs\{/m);
        expect(body).toMatch(/^drmoto_cluster_metrics_holder 0$/m);
      }
      expect(errors).toEqual(['store down', 'cluster metrics took longer than 50 ms']);
    });
  });
});
