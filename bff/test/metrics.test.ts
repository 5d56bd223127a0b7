import { freePort, payableWorkOrders, staffTokens, startHarness, waitFor, type Harness } from './harness';

/** The whole BFF with METRICS_PORT set: what an operator's Prometheus would scrape after real traffic. */
describe('GET /metrics (its own port)', () => {
  let h: Harness;
  let staff: { advisor: string; technician: string };
  let payable: (unitPrice?: number) => Promise<{ id: number; token: string }>;

  beforeAll(async () => {
    h = await startHarness({ wechatPay: true, env: { METRICS_PORT: String(await freePort()), LOG_REQUESTS: 'true' } });
    staff = await staffTokens(h, ['advisor', 'technician'] as const);
    payable = payableWorkOrders(h, staff, { tag: 'metrics', phone: '1356600', plate: '粤M6' });
  });
  afterAll(async () => {
    await h.close();
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(h.bff.metricsUrl!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return res.text();
  };
  const value = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('is served on the metrics port only: the API port answers 404', async () => {
    expect(h.bff.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(h.bff.metricsUrl!).port).not.toBe(new URL(h.bff.url).port);
    expect((await h.req('GET', '/metrics')).status).toBe(404);
    expect((await fetch(h.bff.metricsUrl!.replace('/metrics', '/api/v1/auth/me'))).status).toBe(404);
  });

  it('HTTP latency by method, route template and status class — never the ids of the path', async () => {
    const { id } = await payable();
    for (let i = 0; i < 2; i++) expect((await h.req('GET', `/api/v1/work-orders/${id}`, { token: staff.advisor })).status).toBe(200);
    expect((await h.req('GET', '/api/v1/work-orders/987654', { token: staff.advisor })).status).toBe(404);
    expect((await h.req('GET', `/api/v1/no-such-thing/${id}`)).status).toBe(404);
    const text = await scrape();
    expect(value(text, 'drmoto_http_request_duration_seconds_count{method="GET",route="/api/v1/work-orders/:id",status_class="2xx"}')).toBeGreaterThanOrEqual(2);
    expect(value(text, 'drmoto_http_request_duration_seconds_count{method="GET",route="/api/v1/work-orders/:id",status_class="4xx"}')).toBe(1);
    expect(value(text, 'drmoto_http_request_duration_seconds_count{method="POST",route="/api/v1/auth/staff/login",status_class="2xx"}')).toBeGreaterThanOrEqual(2);
    expect(value(text, 'drmoto_http_request_duration_seconds_count{method="GET",route="unmatched",status_class="4xx"}')).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(`/${id}"`);
    expect(text).not.toContain('987654');
    // Odoo calls by model and method, and Odoo's refusals by kind.
    expect(value(text, 'drmoto_odoo_call_duration_seconds_count{model="drmoto.work.order",method="action_open"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'drmoto_odoo_call_duration_seconds_count{model="common",method="authenticate"}')).toBeGreaterThanOrEqual(1);
  });

  it('webhook outcomes, ledger appends, Odoo faults and the cluster gauges after real notifications', async () => {
    const before = await scrape();
    const { id, token } = await payable();
    const r = await h.req('POST', `/api/v1/work-orders/${id}/payments/wechat`, { token, headers: { 'idempotency-key': `metrics-pay-${id}` } });
    expect(r.status).toBe(201);
    const paid = await h.wechatPay!.pay(r.body.payment_order.out_trade_no, { duplicate: 2 });
    expect(paid.deliveries.map((d) => d.status)).toEqual([204, 204, 204]);
    // One more of the wrong amount → suspense; one unsigned → rejected.
    const other = await payable();
    const r2 = await h.req('POST', `/api/v1/work-orders/${other.id}/payments/wechat`, { token: other.token, headers: { 'idempotency-key': `metrics-pay-${other.id}` } });
    await h.wechatPay!.pay(r2.body.payment_order.out_trade_no, { amount: 1 });
    expect((await h.req('POST', '/api/v1/webhooks/wechatpay', { raw: '{"id":"forged"}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    // An illegal transition: Odoo refuses it (DRM_WO_STATE).
    expect((await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: staff.advisor, body: { action: 'checkin' } })).status).toBe(409);

    const text = await scrape();
    const delta = (series: string) => (value(text, series) ?? 0) - (value(before, series) ?? 0);
    expect(delta('drmoto_webhooks_total{provider="wechatpay",outcome="accepted"}')).toBe(1);
    expect(delta('drmoto_webhooks_total{provider="wechatpay",outcome="duplicate"}')).toBe(2);
    expect(delta('drmoto_webhooks_total{provider="wechatpay",outcome="suspense"}')).toBe(1);
    expect(delta('drmoto_webhooks_total{provider="wechatpay",outcome="rejected_signature"}')).toBe(1);
    expect(delta('drmoto_ledger_appends_total{kind="charge",channel="wechat"}')).toBe(1);
    expect(delta('drmoto_ledger_appends_total{kind="suspense",channel="wechat"}')).toBe(1);
    expect(text).toMatch(/^drmoto_odoo_faults_total\{model="drmoto\.work\.order",method="action_checkin",kind="refused"\} [1-9]/m);
    expect(text).toMatch(/^drmoto_webhooks_total\{provider="wechatpay",outcome="accepted"\} \d+$/m);
    // One process, so it holds the lease: the cluster-wide gauges are here.
    expect(text).toMatch(/^drmoto_cluster_metrics_holder 1$/m);
    expect(text).toMatch(/^drmoto_outbox_backlog\{outbox="settlement"\} \d+$/m);
    expect(text).toMatch(/^drmoto_outbox_oldest_age_seconds\{outbox="settlement"\} [\d.e+-]+$/m);
    expect(text).toMatch(/^drmoto_jobs\{queue="drmoto",state="failed"\} \d+$/m);
    // Settlement drains the backlog.
    await waitFor(async () => value(await scrape(), 'drmoto_outbox_backlog{outbox="settlement"}') === 0);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('logs each request once at info with the route template, masked', async () => {
    const res = await h.req('GET', '/api/v1/customers?q=13800138000', { token: staff.advisor });
    expect(res.status).toBe(200);
    const traceId = res.headers.get('x-request-id');
    const line = await waitFor(() => h.logs.find((l) => l.message === 'request' && l.trace_id === traceId));
    expect(line).toEqual(expect.objectContaining({ level: 'info', method: 'GET', route: '/api/v1/customers', status: 200, ms: expect.any(Number) }));
    expect(JSON.stringify(line)).not.toContain('13800138000');
    expect(h.logs.filter((l) => l.message === 'request' && l.trace_id === traceId)).toHaveLength(1);
  });
});
