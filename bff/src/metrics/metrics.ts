import type { LedgerChannel, LedgerKind } from '../domain/ledger-hash';

/**
 * What the BFF reports to an operator (README "Production runbook"). Every label value comes from a fixed set — a
 * route template, a model name written in the code, an enum — never from a request, so the series stay bounded.
 * The Prometheus implementation is in prometheus.ts (the only prom-client import); `noopMetrics` is the default, so
 * tests, scripts and the demo need nothing.
 */
export interface Metrics {
  /** One answered HTTP request: `route` is the Express template (`/api/v1/work-orders/:id`) or `unmatched`. */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /** One request to Odoo (each retry is one), with the kind of fault when it failed. */
  odooCall(model: string, method: string, seconds: number, fault?: OdooFaultKind): void;
  /** A row written to the payment ledger. */
  ledgerAppend(kind: LedgerKind, channel: LedgerChannel): void;
  /** What became of one provider notification. */
  webhook(provider: WebhookProvider, outcome: WebhookOutcome): void;
  /** A job run that threw: `final` when the job went to the failed list (no attempts left, or a permanent error). */
  jobFailed(queue: string, name: string, final: boolean): void;
}

/**
 * timeout, connection, http (5xx or no RPC body), busy (Odoo's pool or serialization retries exhausted): Odoo is not
 * answering properly. auth: the integration user's credentials were refused. server: an unexpected Odoo exception.
 * refused: Odoo said no for a business reason (DRM_* codes, validation, access, missing record). other: anything else.
 */
export type OdooFaultKind = 'timeout' | 'connection' | 'http' | 'busy' | 'auth' | 'server' | 'refused' | 'other';

export type WebhookProvider = 'wechatpay' | 'stripe';

/**
 * accepted: recorded (a charge, a refund notice, an event handled). duplicate: already recorded. suspense: money
 * recorded in suspense (wrong amount, unknown or closed order). ignored: verified but nothing to do (not a success,
 * an event type we don't model). rejected_signature: failed verification (signature, timestamp, decryption).
 * quarantined: signed, but the ledger can't take it (another merchant, an impossible amount): kept aside, alerted. not_configured: the provider is not set up here.
 * error: not recorded (the store is down; the provider retries).
 */
export type WebhookOutcome = 'accepted' | 'duplicate' | 'suspense' | 'quarantined' | 'ignored' | 'rejected_signature' | 'not_configured' | 'error';

/** Cluster-wide figures, read by one replica only (see ClusterStats): the same for every replica, so never summed. */
export interface ClusterSample {
  /** Settlement outbox rows not yet settled in Odoo, and the age of the oldest (0 when none). */
  outboxPending: number;
  outboxOldestAgeSeconds: number;
  queue: string;
  /** Jobs in the queue by state (BullMQ: in Redis, shared by every replica). */
  jobs: Record<'waiting' | 'delayed' | 'active' | 'failed', number>;
}

export interface ClusterSource {
  /** The figures, or undefined when another replica reports them. */
  sample(): Promise<ClusterSample | undefined>;
}

export const noopMetrics: Metrics = {
  httpRequest: () => undefined,
  odooCall: () => undefined,
  ledgerAppend: () => undefined,
  webhook: () => undefined,
  jobFailed: () => undefined,
};

const HTTP_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The method as a label: the usual ones, else `other` (Node accepts ~30 methods; none of the rest is ours). */
export const methodLabel = (method: string): string => (HTTP_METHODS.has(method) ? method : 'other');

/** 200 → `2xx`. */
export const statusClass = (status: number): string => (status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other');
