import express from 'express';
import helmet from 'helmet';
import type { Logger } from './logger';
import { notFoundHandler, problemHandler } from './http/problem';
import { authLimits, DEFAULT_RATE_LIMITS, FailureLimit, memoryLimitStores, type LimitStoreFactory, type RateLimitSettings } from './http/rate-limit';
import { RouteRegistry } from './http/route';
import { traceMiddleware } from './http/trace';
import { authRoutes } from './routes/auth/route';
import { customerRoutes } from './routes/customers/route';
import { systemRoutes, type HealthCheck } from './routes/system/route';
import { systemOpenapi } from './routes/system/openapi';
import { docsRoutes } from './routes/system/docs';
import { webhookOpenapi } from './routes/webhooks/openapi';
import { vehicleRoutes } from './routes/vehicles/route';
import { workOrderRoutes } from './routes/work-orders/route';
import { partsRoutes } from './routes/parts/route';
import { paymentRoutes } from './routes/payments/route';
import { webhookRoutes } from './routes/webhooks/route';
import { adminRoutes } from './routes/admin/route';
import { reportRoutes } from './routes/reports/route';
import type { ReportService } from './services/report.service';
import { mediaRoutes } from './routes/media/route';
import type { MediaService } from './services/media.service';
import type { PaymentService } from './services/payment.service';
import type { WechatPayNotificationDispatcher } from './services/wechatpay-notifications.service';
import type { OfflinePaymentService } from './services/offline-payment.service';
import type { RefundService } from './services/refund.service';
import type { StripePaymentService } from './services/stripe-payment.service';
import { refundRoutes } from './routes/refunds/route';
import { suspenseRoutes } from './routes/suspense/route';
import type { SuspenseService } from './services/suspense.service';
import type { JobQueue } from './jobs/queue';
import type { AuthService } from './services/auth.service';
import type { CustomerService } from './services/customer.service';
import type { TokenService } from './services/token.service';
import type { VehicleService } from './services/vehicle.service';
import type { WorkOrderService } from './services/work-order.service';
import type { PartsService } from './services/parts.service';
import { AppError } from './errors';
import type { Idempotency } from './http/idempotency';
import { requestObserver, markMount } from './http/observe';
import type { Metrics } from './metrics/metrics';

export const API_BASE = '/api/v1';
export const VERSION = '0.1.0';

export interface AppDeps {
  logger: Logger;
  tokens: TokenService;
  auth: AuthService;
  customers: CustomerService;
  vehicles: VehicleService;
  workOrders: WorkOrderService;
  parts: PartsService;
  payments: PaymentService;
  /** The WeChat Pay notify_url: payment and refund notices to their services. */
  wechatPayNotifications: WechatPayNotificationDispatcher;
  /** Reports and the payment history (GET /reports…, GET /payments). */
  reports?: ReportService;
  /** Payments II (issue 7): counter payments, refunds, Stripe, suspense. */
  offlinePayments?: OfflinePaymentService;
  refunds?: RefundService;
  stripe?: StripePaymentService;
  suspense?: SuspenseService;
  /** Presigned photo/video uploads (issue 6). */
  media?: MediaService;
  queue: JobQueue;
  checks: Record<string, HealthCheck>;
  /** The Idempotency-Key layer (required as soon as a route opts in). */
  idempotency?: Idempotency;
  /** Prometheus metrics (server.ts serves them on their own port); none by default. */
  metrics?: Metrics;
  /** Where rate limits count (Redis in production: shared by the replicas); in memory when absent. */
  limitStores?: LimitStoreFactory;
  options?: {
    trustProxy?: string;
    bodyLimit?: string;
    rateLimits?: Partial<RateLimitSettings>;
    docsEnabled?: boolean;
    demo?: DemoMount;
    /** One `info` line per request (LOG_REQUESTS); otherwise the line is written at `http` level. */
    logRequests?: boolean;
  };
}

/** The offline demo's H5 page (mocks/h5) at /demo, same origin as the API. Only `npm run demo` sets it. */
export interface DemoMount {
  /** Directory of static files (index.html, css/, js/). */
  dir: string;
  /** Demo-only endpoints under /demo (the mocks' "customer pays" stand-in), before the static files. */
  router?: express.RequestHandler;
  /** Extra origins the page may connect to and load images from (a local S3). */
  origins?: string[];
}

/** Builds the express app from ready-made dependencies. No I/O here: server.ts (or a test) owns that. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  const opts = deps.options ?? {};
  app.disable('x-powered-by');
  app.set('trust proxy', parseTrustProxy(opts.trustProxy ?? 'loopback'));
  app.set('query parser', 'simple');
  app.set('etag', false);
  app.use(traceMiddleware);
  app.use(helmet());
  app.use(requestObserver({ logger: deps.logger, metrics: deps.metrics, logRequests: opts.logRequests ?? false }));

  if (opts.demo) {
    // helmet's policy, stricter for styles (files only), without upgrade-insecure-requests: the demo is opened over
    // plain http from other devices on the LAN too, where that directive would send the page's own requests to https.
    const extra = opts.demo.origins ?? [];
    app.use(
      '/demo',
      helmet.contentSecurityPolicy({
        directives: { styleSrc: ["'self'"], connectSrc: ["'self'", ...extra], imgSrc: ["'self'", 'data:', 'blob:', ...extra], upgradeInsecureRequests: null },
      }),
      ...(opts.demo.router ? [opts.demo.router] : []),
      express.static(opts.demo.dir, { index: 'index.html', fallthrough: true, maxAge: 0 }),
    );
  }

  const registry = new RouteRegistry(API_BASE, deps.tokens, deps.idempotency);
  app.use(
    systemRoutes({
      checks: deps.checks,
      logger: deps.logger,
      version: VERSION,
      // Built once, below, after every route has registered (not per request).
      openapi: opts.docsEnabled === false ? undefined : () => openapiDoc,
    }),
  );

  const limits = { ...DEFAULT_RATE_LIMITS, ...opts.rateLimits };
  const stores = deps.limitStores ?? memoryLimitStores;
  if (opts.docsEnabled !== false) app.use(docsRoutes());

  const api = express.Router();
  api.use(markMount);
  // Webhooks verify signatures over the raw bytes: mounted before the JSON parser.
  api.use(webhookRoutes(deps.wechatPayNotifications, deps.logger, { stripe: deps.stripe, metrics: deps.metrics, failures: new FailureLimit(stores, 'webhook-fail', limits.webhookFailuresPerMin) }));
  api.use(express.json({ limit: opts.bodyLimit ?? '100kb', strict: true, type: ['application/json', 'application/*+json'] }));
  api.use((req, _res, next) => {
    // A body in another format would silently be ignored by express.json(): refuse it instead.
    if (['POST', 'PUT', 'PATCH'].includes(req.method) && req.headers['content-length'] !== '0' && (req.headers['content-length'] || req.headers['transfer-encoding']) && !req.is(['application/json', 'application/*+json'])) {
      return next(new AppError('unsupported_media_type', 'Send the body as application/json.'));
    }
    next();
  });
  api.use(authRoutes(registry, deps.auth, authLimits(stores, deps.logger, limits)));
  api.use(customerRoutes(registry, deps.customers));
  api.use(vehicleRoutes(registry, deps.vehicles));
  api.use(workOrderRoutes(registry, deps.workOrders));
  api.use(partsRoutes(registry, deps.parts));
  api.use(paymentRoutes(registry, deps.payments, { offline: deps.offlinePayments, stripe: deps.stripe }));
  if (deps.refunds) api.use(refundRoutes(registry, deps.refunds));
  if (deps.suspense) api.use(suspenseRoutes(registry, deps.suspense));
  if (deps.media) api.use(mediaRoutes(registry, deps.media));
  api.use(adminRoutes(registry, deps.queue));
  if (deps.reports) api.use(reportRoutes(registry, deps.reports, API_BASE));
  app.use(API_BASE, api);
  const openapiDoc = registry.openapi(
    { title: 'DrMoto BFF', version: VERSION, description: 'Backend-for-frontend of DrMoto repair shops (Odoo is the system of record).' },
    { ...systemOpenapi(), ...webhookOpenapi(API_BASE, { stripe: deps.stripe !== undefined }) },
  );

  app.use(notFoundHandler);
  app.use(problemHandler(deps.logger));
  return app;
}

function parseTrustProxy(v: string): boolean | number | string {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}
