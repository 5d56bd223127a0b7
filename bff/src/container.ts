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
import { PartsService } from './services/parts.service';
import { LedgerRepository } from './store/ledger';
import { PaymentOrderRepository } from './store/payment-orders';
import { SettlementOutboxRepository } from './store/outbox';
import { SettlementService, type SettleJob } from './services/settlement.service';
import { PaymentService } from './services/payment.service';
import { WechatPayClient } from './integrations/wechatpay/client';
import { WechatPayNotificationVerifier } from './integrations/wechatpay/notification';
import { createDb, type Db } from './store/db';
import { migrate } from './store/migrate';
import { RefreshTokenRepository } from './store/refresh-tokens';
import { IdempotencyStore } from './store/idempotency';
import { Idempotency } from './http/idempotency';
import { createQueue } from './jobs';
import { JobName } from './jobs/names';
import type { JobQueue } from './jobs/queue';

export interface Container {
  deps: AppDeps;
  db: Db;
  queue: JobQueue;
  odoo: OdooClient;
  close(): Promise<void>;
}

/** The composition root's wiring, shared by server.ts, the demo and the component tests. */
export async function buildContainer(config: Config, logger: Logger): Promise<Container> {
  // Migrations run as the schema owner when a separate URL is configured (the app role owns nothing).
  if (config.store.databaseUrl && config.store.migrationUrl && config.store.migrationUrl !== config.store.databaseUrl) {
    const owner = await createDb({ databaseUrl: config.store.migrationUrl, poolMax: 1 });
    try {
      await migrate(owner);
    } finally {
      await owner.close();
    }
  }
  const db = await createDb({ databaseUrl: config.store.databaseUrl, pgliteDir: config.store.databaseUrl ? undefined : config.store.pgliteDir });
  if (!(config.store.databaseUrl && config.store.migrationUrl !== config.store.databaseUrl)) {
    const { applied } = await migrate(db);
    if (applied.length) logger.info('migrations applied', { applied });
  }

  const odoo = new OdooClient(config.odoo, logger);
  const wechat = new WechatClient(config.wechat, logger);
  const refreshTokens = new RefreshTokenRepository(db);
  const idempotencyKeys = new IdempotencyStore(db, { leaseMs: config.idempotency.leaseMs, retentionMs: config.idempotency.retentionMs });
  const tokens = new TokenService(config.jwt, refreshTokens);
  const customersGw = new CustomerGateway(odoo);
  const vehiclesGw = new VehicleGateway(odoo);
  const workOrdersGw = new WorkOrderGateway(odoo);

  const ledger = new LedgerRepository(db);
  const paymentOrders = new PaymentOrderRepository(db);
  const settlementOutbox = new SettlementOutboxRepository(db);
  if (config.store.databaseUrl) {
    const extra = await ledger.excessPrivileges();
    if (extra.length) logger.warn('the BFF database role can alter the ledger: connect as a member of drmoto_app', { privileges: extra });
  }

  const queue = createQueue({
    redisUrl: config.queue.redisUrl,
    prefix: config.queue.prefix,
    onError: (err) => logger.error('queue error', { error: err.message }),
  });
  queue.register(JobName.Housekeeping, async () => {
    const n = await refreshTokens.sweep();
    if (n) logger.info('housekeeping: expired refresh tokens removed', { count: n });
    const keys = await idempotencyKeys.sweep();
    if (keys) logger.info('housekeeping: expired idempotency keys removed', { count: keys });
    const expired = await paymentOrders.expireDue();
    if (expired.length) logger.info('housekeeping: payment orders expired', { count: expired.length });
  });
  const shops = new ShopGateway(odoo);
  const settlement = new SettlementService(odoo, ledger, settlementOutbox, shops, queue, logger);
  const wxpay = config.wechatPay
    ? {
        client: new WechatPayClient(config.wechatPay, logger),
        verifier: new WechatPayNotificationVerifier({ platformKeys: config.wechatPay.platformKeys, apiV3Key: config.wechatPay.apiV3Key }),
        cfg: config.wechatPay,
      }
    : undefined;
  const identities = new IdentityGateway(odoo);
  const payments = new PaymentService(db, ledger, paymentOrders, settlementOutbox, settlement, workOrdersGw, shops, identities, logger, wxpay);
  queue.register<SettleJob>(JobName.Settle, async (job) => {
    await settlement.settle(job.data.outboxId);
  });
  queue.register(JobName.Reconcile, async () => {
    const relayed = await settlement.relayPending();
    const checked = await payments.reconcileOpenOrders();
    if (relayed || checked) logger.info('reconciled', { outbox_relayed: relayed, orders_checked: checked });
  });
  await queue.start();
  // Reconcile every minute across replicas (the job id is the minute, so a second add is a no-op).
  const reconcileTimer = setInterval(() => {
    const minute = new Date().toISOString().slice(0, 16).replace(/[-T:]/g, '');
    queue.add(JobName.Reconcile, {}, { jobId: `reconcile-${minute}`, attempts: 1 }).catch((e: unknown) => logger.warn('reconcile not scheduled', { error: e instanceof Error ? e.message : String(e) }));
  }, 60_000);
  reconcileTimer.unref();
  // One housekeeping run per hour across all replicas: the job id is the hour, so a second add is a no-op.
  const scheduleHousekeeping = () => {
    const hour = new Date().toISOString().slice(0, 13).replace(/[-T]/g, '');
    queue.add(JobName.Housekeeping, {}, { jobId: `housekeeping-${hour}`, attempts: 3 }).catch((e: unknown) => logger.warn('housekeeping not scheduled', { error: e instanceof Error ? e.message : String(e) }));
  };
  const housekeepingTimer = setInterval(scheduleHousekeeping, 10 * 60_000);
  housekeepingTimer.unref();

  const deps: AppDeps = {
    logger,
    idempotency: new Idempotency(idempotencyKeys, logger),
    tokens,
    auth: new AuthService(tokens, new StaffGateway(odoo), identities, wechat),
    customers: new CustomerService(customersGw, vehiclesGw),
    vehicles: new VehicleService(vehiclesGw, customersGw),
    workOrders: new WorkOrderService(workOrdersGw, shops),
    parts: new PartsService(new PartsGateway(odoo), workOrdersGw),
    payments,
    queue,
    checks: {
      odoo: () => odoo.ping(),
      store: () => db.ping(),
      queue: () => queue.ping(),
    },
    options: { trustProxy: config.http.trustProxy, bodyLimit: config.http.bodyLimit, authPerMin: config.rateLimit.authPerMin, docsEnabled: config.docsEnabled },
  };

  return {
    deps,
    db,
    queue,
    odoo,
    async close() {
      clearInterval(housekeepingTimer);
      clearInterval(reconcileTimer);
      await queue.close();
      await db.close();
      odoo.close();
    },
  };
}
