import type { Config } from './config';
import type { AppDeps } from './app';
import type { Logger } from './logger';
import { OdooClient } from './integrations/odoo/client';
import { CustomerGateway, IdentityGateway, StaffGateway, VehicleGateway } from './integrations/odoo/gateways';
import { WechatClient } from './integrations/wechat/client';
import { AuthService } from './services/auth.service';
import { CustomerService } from './services/customer.service';
import { TokenService } from './services/token.service';
import { VehicleService } from './services/vehicle.service';
import { WorkOrderService } from './services/work-order.service';
import { ShopGateway } from './integrations/odoo/shops';
import { WorkOrderGateway } from './integrations/odoo/work-orders';
import { PartsGateway } from './integrations/odoo/parts';
import { PaymentsGateway } from './integrations/odoo/payments';
import { PartsService } from './services/parts.service';
import { LedgerRepository } from './store/ledger';
import { PaymentOrderRepository } from './store/payment-orders';
import { SettlementOutboxRepository } from './store/outbox';
import { SettlementService } from './services/settlement.service';
import { PaymentService } from './services/payment.service';
import { BalanceService } from './services/balance.service';
import { WechatPayNotificationDispatcher } from './services/wechatpay-notifications.service';
import { QuarantineRepository } from './store/quarantine';
import { OfflinePaymentService } from './services/offline-payment.service';
import { AuditRepository } from './store/audit';
import { RefundRequestRepository } from './store/refund-requests';
import { RefundService } from './services/refund.service';
import { StripePaymentService } from './services/stripe-payment.service';
import { SuspenseService } from './services/suspense.service';
import { StripeClient } from './integrations/stripe/client';
import { StripeEventRepository } from './store/stripe-events';
import { WechatPayClient } from './integrations/wechatpay/client';
import { WechatPayNotificationVerifier } from './integrations/wechatpay/notification';
import { createDb, type Db } from './store/db';
import { checkSchema, migrate } from './store/migrate';
import { RefreshTokenRepository } from './store/refresh-tokens';
import { IdempotencyStore } from './store/idempotency';
import { Idempotency } from './http/idempotency';
import { createQueue } from './jobs';
import { MediaGateway } from './integrations/odoo/media';
import { ObjectStorage } from './integrations/s3/storage';
import { MediaUploadRepository } from './store/media-uploads';
import { MediaService } from './services/media.service';
import { ReportGateway } from './integrations/odoo/reports';
import { PaymentQueries } from './store/payment-queries';
import { ReportService } from './services/report.service';
import { JobName } from './jobs/names';
import { scheduleRecurring } from './jobs/schedule';
import type { JobQueue } from './jobs/queue';
import { QueueName } from './jobs/names';
import { noopMetrics, type Metrics } from './metrics/metrics';
import { PrometheusMetrics } from './metrics/prometheus';
import { ClusterStats } from './metrics/cluster';
import { LeaseRepository } from './store/leases';
import { rateLimitRedis, redisLimitStores } from './http/rate-limit';
import { HousekeepingService } from './services/housekeeping.service';
import { ReconcilerService } from './services/reconciler.service';
import { registerWorkers } from './workers';

export interface Container {
  deps: AppDeps;
  db: Db;
  queue: JobQueue;
  odoo: OdooClient;
  /** Prometheus metrics when METRICS_PORT is set (server.ts serves them), else undefined. */
  prometheus?: PrometheusMetrics;
  /** Settlement to Odoo (tests drive it instead of waiting for the queue's backoff). */
  settlement: SettlementService;
  close(): Promise<void>;
}

/** The composition root's wiring, shared by server.ts, the demo and the component tests. */
export async function buildContainer(config: Config, logger: Logger): Promise<Container> {
  // Production never migrates at boot (`npm run migrate` does, as the owner, before a rollout), so a replica holds no
  // owner credentials; it only checks that the schema fits this release (checkSchema: expand/contract). Demo,
  // development and tests migrate here.
  const production = config.env === 'production';
  // Migrations run as the schema owner when a separate URL is configured (the app role owns nothing).
  if (!production && config.store.databaseUrl && config.store.migrationUrl && config.store.migrationUrl !== config.store.databaseUrl) {
    const owner = await createDb({ databaseUrl: config.store.migrationUrl, poolMax: 1 });
    try {
      await migrate(owner);
    } finally {
      await owner.close();
    }
  }
  const db = await createDb({ databaseUrl: config.store.databaseUrl, pgliteDir: config.store.databaseUrl ? undefined : config.store.pgliteDir, poolMax: config.store.poolMax });
  if (production) {
    try {
      const { required, ahead } = await checkSchema(db);
      logger.info('database schema fits this release', { required, ahead });
    } catch (err) {
      await db.close();
      throw err;
    }
  } else if (!(config.store.databaseUrl && config.store.migrationUrl !== config.store.databaseUrl)) {
    const { applied } = await migrate(db);
    if (applied.length) logger.info('migrations applied', { applied });
  }

  // The cluster-wide gauges read the store and the queue: wired below, once both exist.
  const cluster: { stats?: ClusterStats } = {};
  const prometheus = config.metrics.port
    ? new PrometheusMetrics({ cluster: { sample: () => cluster.stats?.sample() ?? Promise.resolve(undefined) }, onClusterError: (e) => logger.warn('cluster metrics not read', { error: e.message }) })
    : undefined;
  const metrics: Metrics = prometheus ?? noopMetrics;
  const odoo = new OdooClient(config.odoo, logger, metrics);
  const wechat = new WechatClient(config.wechat, logger);
  const refreshTokens = new RefreshTokenRepository(db);
  const idempotencyKeys = new IdempotencyStore(db, { leaseMs: config.idempotency.leaseMs, retentionMs: config.idempotency.retentionMs });
  const tokens = new TokenService(config.jwt, refreshTokens);
  const customersGw = new CustomerGateway(odoo);
  const vehiclesGw = new VehicleGateway(odoo);
  const workOrdersGw = new WorkOrderGateway(odoo);

  const ledger = new LedgerRepository(db, { metrics });
  const paymentOrders = new PaymentOrderRepository(db);
  const settlementOutbox = new SettlementOutboxRepository(db, { baseDelayMs: config.settlement.retryBaseMs, maxDelayMs: config.settlement.retryMaxMs });
  if (config.store.databaseUrl) {
    const extra = await ledger.excessPrivileges();
    if (extra.length) logger.warn('the BFF database role can alter the ledger: connect as a member of drmoto_app', { privileges: extra });
  }

  const queue = createQueue({
    redisUrl: config.queue.redisUrl,
    prefix: config.queue.prefix,
    backoffMs: config.queue.backoffMs,
    lockMs: config.queue.lockMs,
    concurrency: config.queue.concurrency,
    onJobFailed: (f) => metrics.jobFailed(f.queue, f.name, f.final),
    onError: (err) => logger.error('queue error', { error: err.message }),
  });
  if (prometheus) cluster.stats = new ClusterStats({ leases: new LeaseRepository(db), outbox: settlementOutbox, queue, queueName: QueueName.Default });
  const shops = new ShopGateway(odoo);
  const storage = config.media ? new ObjectStorage(config.media) : undefined;
  const media = new MediaService(new MediaUploadRepository(db), new MediaGateway(odoo), workOrdersGw, logger, storage, config.media);
  const refundRequests = new RefundRequestRepository(db);
  const settlement = new SettlementService(new PaymentsGateway(odoo), ledger, settlementOutbox, shops, queue, logger, refundRequests, {
    relayAfterMs: config.settlement.relayAfterMs,
    concurrency: config.settlement.concurrency,
    probeIntervalMs: config.settlement.probeIntervalMs,
  });
  const wxpay = config.wechatPay
    ? {
        client: new WechatPayClient(config.wechatPay, logger),
        verifier: new WechatPayNotificationVerifier({ platformKeys: config.wechatPay.platformKeys, apiV3Key: config.wechatPay.apiV3Key }),
        cfg: config.wechatPay,
      }
    : undefined;
  const identities = new IdentityGateway(odoo);
  const balance = new BalanceService(db, ledger, refundRequests, workOrdersGw, shops);
  const quarantine = new QuarantineRepository(db);
  const payments = new PaymentService(ledger, paymentOrders, balance, settlement, workOrdersGw, identities, quarantine, logger, wxpay);
  const audit = new AuditRepository(db);
  const offlinePayments = new OfflinePaymentService(db, ledger, settlementOutbox, audit, balance, settlement, logger);
  const stripeClient = config.stripe ? new StripeClient(config.stripe, logger) : undefined;
  const refunds = new RefundService(db, ledger, settlementOutbox, refundRequests, audit, balance, settlement, logger, wxpay && { client: wxpay.client }, stripeClient && {
    client: stripeClient,
    decimalsOf: async (shopId: number) => (await shops.get(shopId)).currency.decimals,
  });
  const suspense = new SuspenseService(db, ledger, settlementOutbox, refundRequests, audit, balance, refunds, settlement, logger);
  const stripe = new StripePaymentService(ledger, paymentOrders, new StripeEventRepository(db), balance, refunds, settlement, shops, quarantine, logger, stripeClient);
  const wechatPayNotifications = new WechatPayNotificationDispatcher(payments, refunds, quarantine, logger, wxpay && { verifier: wxpay.verifier, merchant: { mchid: wxpay.cfg.mchid, appId: wxpay.cfg.appId } });
  registerWorkers(queue, {
    housekeeping: new HousekeepingService(refreshTokens, idempotencyKeys, paymentOrders, media, logger),
    settlement,
    reconciler: new ReconcilerService(settlement, payments, refunds, stripe, logger, config.jobs.reconcileAfterMs),
  });
  // BFF_ROLE=api only enqueues (its jobs run in the worker replicas); worker and all run the handlers and schedules.
  const runsJobs = config.role !== 'api';
  if (runsJobs) await queue.start();
  // One run per period across all replicas (the job id is the period): reconcile, and housekeeping hourly.
  const schedule = !runsJobs ? { stop() {} } : scheduleRecurring(
    queue,
    [
      { name: JobName.Reconcile, everyMs: config.jobs.reconcileIntervalMs, attempts: 1 },
      { name: JobName.Housekeeping, everyMs: 3_600_000, offerEveryMs: 10 * 60_000, attempts: 3 },
    ],
    (job, e) => logger.warn(`${job.name} not scheduled`, { error: e.message }),
  );

  // Rate limits count in Redis so that every replica sees the same counts; their own connection, which fails fast
  // while Redis is away (the limits then let requests through) instead of queueing commands behind the outage.
  const limitRedis = config.queue.redisUrl ? rateLimitRedis(config.queue.redisUrl, logger) : undefined;
  const deps: AppDeps = {
    logger,
    idempotency: new Idempotency(idempotencyKeys, logger),
    metrics,
    tokens,
    auth: new AuthService(tokens, new StaffGateway(odoo), identities, wechat),
    customers: new CustomerService(customersGw, vehiclesGw),
    vehicles: new VehicleService(vehiclesGw, customersGw),
    workOrders: new WorkOrderService(workOrdersGw, shops, { settleWorkOrderNow: (id) => settlement.settleWorkOrderNow(id), assertNoMoneyHeld: (id) => balance.assertNoMoneyHeld(id) }),
    parts: new PartsService(new PartsGateway(odoo), workOrdersGw),
    payments,
    wechatPayNotifications,
    reports: new ReportService(new PaymentQueries(db), new ReportGateway(odoo), shops, new StaffGateway(odoo)),
    offlinePayments,
    refunds,
    stripe,
    suspense,
    media,
    queue,
    checks: {
      odoo: () => odoo.ping(),
      store: () => db.ping(),
      queue: () => queue.ping(),
    },
    limitStores: limitRedis ? redisLimitStores(limitRedis, config.queue.prefix, logger) : undefined,
    options: { trustProxy: config.http.trustProxy, bodyLimit: config.http.bodyLimit, rateLimits: config.rateLimit, docsEnabled: config.docsEnabled, logRequests: config.log.requests },
  };

  return {
    deps,
    db,
    queue,
    odoo,
    prometheus,
    settlement,
    async close() {
      schedule.stop();
      // Hand the cluster gauges to another replica now rather than after the lease's TTL.
      await cluster.stats?.release().catch(() => undefined);
      limitRedis?.disconnect();
      settlement.close();
      await queue.close();
      await db.close();
      odoo.close();
      storage?.close();
    },
  };
}
