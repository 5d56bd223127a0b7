import {
  ledgerEntryHash,
  type LedgerChannel,
  type LedgerHashInput,
  type LedgerKind,
} from '../domain/ledger-hash';
import type { Db } from './db';
import { Batcher, type BatchResult } from './batcher';
import { noopMetrics, type Metrics } from '../metrics/metrics';

/**
 * The payment ledger (migration 0004, DESIGN.md §8): append-only and hash-chained. Appends are serialized by a
 * transaction-scoped advisory lock, so the chain never forks; the unique index on (channel, ref, direction) makes a
 * duplicate provider callback a no-op that returns the row already there.
 */

export type { LedgerChannel, LedgerKind } from '../domain/ledger-hash';

/** One money event to record. `ref` is derived from it (see `ledgerRef`), so callers can't key it inconsistently. */
export interface LedgerEntryInput {
  kind: LedgerKind;
  /** Signed minor units: charge > 0; refund, reversal < 0; suspense > 0 received, < 0 released. */
  amount: number;
  currency: string;
  shopId: number;
  warehouseId: number;
  merchantAccount: string;
  channel: LedgerChannel;
  /** Required for money received (charge, suspense > 0) unless it applies a suspense row. */
  providerTxnId?: string | null;
  /** Required for a refund; also set on a suspense row released by a refund. */
  providerRefundId?: string | null;
  providerEventId?: string | null;
  /** The row this one applies (suspense → charge) or reverses; for a suspense refund, the suspense row released. */
  sourceSeq?: number | null;
  workOrderId?: number | null;
  paymentOrderId?: number | null;
  /** e.g. `system:wechatpay-notify`, `staff:7`. */
  actor: string;
  reason?: string | null;
  /** SHA-256 hex of the provider payload or request (`payloadHash()` in domain/ledger-hash). */
  payloadHash: string;
}

/** A stored row: every hashed column (domain/ledger-hash) plus the hash itself. */
export interface LedgerEntry extends LedgerHashInput {
  hash: string;
}

export interface LedgerAppendResult {
  seq: number;
  hash: string;
  createdAt: string;
  /** False: the same money event (same channel, ref and direction) was already recorded; `entry` is that row. */
  inserted: boolean;
  entry: LedgerEntry;
}

/** A provider's report of money received for one of our payment orders (see `LedgerRepository.recordReceipt`). */
export interface ReceiptInput {
  channel: Exclude<LedgerChannel, 'offline'>;
  outTradeNo: string;
  /** WeChat transaction_id, Stripe PaymentIntent id: the ledger key (`txn:<id>`). */
  txnId: string;
  amount: number;
  currency: string;
  /** The provider account it arrived on (WeChat mchid); omitted: the order's. */
  merchantAccount?: string | null;
  /** When set, the order's provider reference (Stripe PaymentIntent id) must be this one, else suspense. */
  providerOrderRef?: string | null;
  providerEventId?: string | null;
  actor: string;
  payloadHash: string;
  /** When the provider says it was paid; default the database's now(). */
  paidAt?: Date | null;
}

export type ReceiptOutcome = 'charged' | 'suspense' | 'duplicate';

export type ReceiptResult =
  | { outcome: 'duplicate'; anomaly: string | null }
  | { outcome: 'charged' | 'suspense'; anomaly: string | null; outboxId: number | null; seq: number; entry: LedgerEntry };

/** Sums of one currency, in minor units (bigint: a total may outgrow a double). */
export interface LedgerTotals {
  charge: bigint;
  refund: bigint;
  reversal: bigint;
  suspense: bigint;
  /** charge + refund + reversal: what the customer has paid and kept paid. */
  netPaid: bigint;
}

export class LedgerInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerInputError';
  }
}

export class LedgerUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerUsageError';
  }
}

// The chain lock's classid for pg_advisory_xact_lock(int, int), distinct from migrate.ts's; the second key is the
// schema, so test schemas (and several ledgers in one database) don't serialize each other. `ledger_append` (migration
// 0012) takes it as the literal 1818584167: anything else appending (a test placing rows at chosen instants) uses this.
export const LEDGER_LOCK_CLASS = 0x6c656467; // 'ledg' = 1818584167

/** The text form of created_at that is hashed: UTC, exactly six fractional digits. */
export const CREATED_AT_TEXT = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export const LEDGER_COLUMNS = `seq, ${CREATED_AT_TEXT} AS created_at, kind, amount, currency, shop_id, warehouse_id, merchant_account,
  channel, ref, provider_txn_id, provider_refund_id, provider_event_id, source_seq, work_order_id, payment_order_id,
  actor, reason, payload_hash, prev_hash, hash`;

export interface LedgerRow {
  seq: number;
  created_at: string;
  kind: LedgerKind;
  amount: number;
  currency: string;
  shop_id: number;
  warehouse_id: number;
  merchant_account: string;
  channel: LedgerChannel;
  ref: string;
  provider_txn_id: string | null;
  provider_refund_id: string | null;
  provider_event_id: string | null;
  source_seq: number | null;
  work_order_id: number | null;
  payment_order_id: number | null;
  actor: string;
  reason: string | null;
  payload_hash: string;
  prev_hash: string;
  hash: string;
}

export const toLedgerEntry = (r: LedgerRow): LedgerEntry => ({
  seq: r.seq,
  createdAt: r.created_at,
  kind: r.kind,
  amount: r.amount,
  currency: r.currency,
  shopId: r.shop_id,
  warehouseId: r.warehouse_id,
  merchantAccount: r.merchant_account,
  channel: r.channel,
  ref: r.ref,
  providerTxnId: r.provider_txn_id,
  providerRefundId: r.provider_refund_id,
  providerEventId: r.provider_event_id,
  sourceSeq: r.source_seq,
  workOrderId: r.work_order_id,
  paymentOrderId: r.payment_order_id,
  actor: r.actor,
  reason: r.reason,
  payloadHash: r.payload_hash,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** The fields the hash covers (every column but `hash`). */
export const hashInputOf = (e: Omit<LedgerEntry, 'hash'>): LedgerHashInput => ({
  seq: e.seq,
  createdAt: e.createdAt,
  kind: e.kind,
  amount: e.amount,
  currency: e.currency,
  shopId: e.shopId,
  warehouseId: e.warehouseId,
  merchantAccount: e.merchantAccount,
  channel: e.channel,
  ref: e.ref,
  providerTxnId: e.providerTxnId,
  providerRefundId: e.providerRefundId,
  providerEventId: e.providerEventId,
  sourceSeq: e.sourceSeq,
  workOrderId: e.workOrderId,
  paymentOrderId: e.paymentOrderId,
  actor: e.actor,
  reason: e.reason,
  payloadHash: e.payloadHash,
  prevHash: e.prevHash,
});

/**
 * The deduplication key of a money event (mirrors `ledger_entries_ref_check`):
 * `txn:<id>` money received (charge or suspense, whichever came first), `refund:<id>` money paid back,
 * `apply:<seq>` a suspense row applied to a work order (its suspense −x and charge +x rows), `reversal:<seq>`.
 */
export function ledgerRef(e: LedgerEntryInput): string {
  if (e.kind === 'reversal') {
    if (e.sourceSeq == null) throw new LedgerInputError('a reversal needs sourceSeq (the row it reverses)');
    return `reversal:${e.sourceSeq}`;
  }
  if (e.providerRefundId != null) {
    if (!(e.kind === 'refund' || (e.kind === 'suspense' && e.amount < 0))) {
      throw new LedgerInputError(`providerRefundId belongs on a refund or a released suspense row, not on ${e.kind} ${e.amount}`);
    }
    return `refund:${e.providerRefundId}`;
  }
  if (e.kind === 'refund') throw new LedgerInputError('a refund needs providerRefundId');
  if (e.sourceSeq != null) return `apply:${e.sourceSeq}`;
  if (e.providerTxnId == null || e.providerTxnId === '') {
    throw new LedgerInputError(`money received (${e.kind}) needs providerTxnId`);
  }
  return `txn:${e.providerTxnId}`;
}

function validate(e: LedgerEntryInput): void {
  if (!Number.isSafeInteger(e.amount) || e.amount === 0) throw new LedgerInputError(`amount must be a non-zero safe integer, got ${e.amount}`);
  const signOk = e.kind === 'charge' ? e.amount > 0 : e.kind === 'suspense' ? true : e.amount < 0;
  if (!signOk) throw new LedgerInputError(`a ${e.kind} amount must be ${e.kind === 'charge' ? 'positive' : 'negative'}, got ${e.amount}`);
  if (!/^[A-Z]{3}$/.test(e.currency)) throw new LedgerInputError(`currency must be three upper-case letters, got ${JSON.stringify(e.currency)}`);
  if (e.kind !== 'suspense' && e.workOrderId == null) throw new LedgerInputError(`a ${e.kind} needs a work order`);
  if (!/^[0-9a-f]{64}$/.test(e.payloadHash)) throw new LedgerInputError('payloadHash must be 64 lower-case hex digits');
  if (e.actor === '') throw new LedgerInputError('actor is required');
}

/** What ledger_append returns: the row as LEDGER_COLUMNS reads it, and whether this call inserted it. */
type LedgerAppendRow = LedgerRow & { inserted: boolean };

export class LedgerHashMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerHashMismatchError';
  }
}

function appendParams(e: LedgerEntryInput, ref: string): unknown[] {
  return [
    e.kind,
    e.amount,
    e.currency,
    e.shopId,
    e.warehouseId,
    e.merchantAccount,
    e.channel,
    ref,
    e.providerTxnId ?? null,
    e.providerRefundId ?? null,
    e.providerEventId ?? null,
    e.sourceSeq ?? null,
    e.workOrderId ?? null,
    e.paymentOrderId ?? null,
    e.actor,
    e.reason ?? null,
    e.payloadHash,
  ];
}

/**
 * The database computed the row's hash (migration 0012); ledger-hash.ts is the reference. A row this BFF appended
 * whose hash it can't reproduce is refused: inside a caller's transaction the throw rolls the append back.
 */
function checkedAppend(row: LedgerAppendRow | undefined): LedgerAppendResult {
  if (!row || row.seq == null) throw new Error('ledger_append returned no row');
  const entry = toLedgerEntry(row);
  if (row.inserted) {
    const expected = ledgerEntryHash(hashInputOf(entry));
    if (expected !== entry.hash) {
      throw new LedgerHashMismatchError(`ledger row ${entry.seq}: the database hashed it as ${entry.hash}, ledger-hash.ts as ${expected}`);
    }
  }
  return { seq: entry.seq, hash: entry.hash, createdAt: entry.createdAt, inserted: row.inserted, entry };
}

type ReceiptRow = LedgerAppendRow & { outcome: ReceiptOutcome; anomaly: string | null; outbox_id: number | null };

function toReceiptResult(row: ReceiptRow): ReceiptResult {
  if (row.outcome === 'duplicate') return { outcome: 'duplicate', anomaly: row.anomaly };
  const appended = checkedAppend(row);
  return { outcome: row.outcome, anomaly: row.anomaly, outboxId: row.outbox_id, seq: appended.seq, entry: appended.entry };
}

const emptyTotals = (): LedgerTotals => ({ charge: 0n, refund: 0n, reversal: 0n, suspense: 0n, netPaid: 0n });

/**
 * Receipt statements in flight per BFF process; receipts arriving meanwhile are batched (see Batcher). Measured on two
 * cores: letting ten pooled connections queue on the chain lock made the tail at 1,000 appends/s seven times longer
 * than four did; batching then removes most lock hand-overs and commits (BENCHMARKS.md).
 */
export const RECEIPT_CONCURRENCY = 2;
const RECEIPT_MAX_BATCH = 64;

export class LedgerRepository {
  private installation?: Promise<string>;
  private readonly receipts: Batcher<ReceiptInput, ReceiptResult>;
  private readonly metrics: Pick<Metrics, 'ledgerAppend'>;

  constructor(
    private readonly db: Db,
    opts: { receiptConcurrency?: number; metrics?: Pick<Metrics, 'ledgerAppend'> } = {},
  ) {
    this.metrics = opts.metrics ?? noopMetrics;
    this.receipts = new Batcher((items) => this.recordBatch(items), { concurrency: opts.receiptConcurrency ?? RECEIPT_CONCURRENCY, maxBatch: RECEIPT_MAX_BATCH });
  }

  /** This store's installation id (migration 0009): what makes settlement's Odoo request names unique across stores. */
  installationId(): Promise<string> {
    this.installation ??= this.db.query<{ id: string }>('SELECT id FROM bff_installation').then((r) => {
      if (!r.rows[0]) throw new Error('bff_installation is empty: the store was not migrated');
      return r.rows[0].id;
    });
    this.installation.catch(() => (this.installation = undefined));
    return this.installation;
  }

  /**
   * Appends one row inside the caller's transaction (an offline payment writes the ledger row, its outbox row and
   * the audit row together), or returns the row already recorded for the same money event with `inserted: false` —
   * as it was first recorded: a caller that cares compares `entry` (a provider reporting one transaction id with two
   * amounts is an alert, not new money). One round trip: `ledger_append` (migration 0012) takes the chain's advisory
   * lock, reads the head, stamps and hashes the row and inserts it. The lock is held until that transaction ends:
   * append last and commit soon. Needs READ COMMITTED, so the head read after the lock sees the previous append.
   */
  async append(tx: Db, input: LedgerEntryInput): Promise<LedgerAppendResult> {
    if (tx === this.db) {
      throw new LedgerUsageError('LedgerRepository.append needs a transaction handle (db.transaction(tx => …)); use appendOne otherwise');
    }
    validate(input);
    const ref = ledgerRef(input);
    const incoming = input.amount > 0;

    const { rows } = await tx.query<LedgerAppendRow>(
      `SELECT * FROM ledger_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      appendParams(input, ref),
      { prepare: 'drmoto_ledger_append' },
    );
    const appended = checkedAppend(rows[0]);
    // Counted when written: every caller appends last and commits at once, so a rollback after this is a rare error.
    if (appended.inserted) this.metrics.ledgerAppend(input.kind, input.channel);
    return appended;
  }

  /**
   * A provider's "money received" for one of our payment orders, recorded exactly once in one statement (migration
   * 0012, `payment_record_receipt`): duplicate check, order lock, charge (order paid, outbox row) or suspense. It
   * commits with the statement, so the chain lock is held only for the database's own work — the webhook's hot path.
   * Receipts that arrive while RECEIPT_CONCURRENCY statements are in flight go together in the next one
   * (`payment_record_receipts`), each recorded as if alone. Throws LedgerHashMismatchError when the row's hash is not
   * what ledger-hash.ts computes; the row is committed by then (the error is the alarm; `ledger:verify` names the row).
   */
  recordReceipt(receipt: ReceiptInput): Promise<ReceiptResult> {
    if (receipt.txnId === '') return Promise.reject(new LedgerInputError('money received needs providerTxnId'));
    if (!Number.isSafeInteger(receipt.amount) || receipt.amount <= 0) {
      return Promise.reject(new LedgerInputError(`a received amount must be a positive safe integer, got ${receipt.amount}`));
    }
    if (!/^[A-Z]{3}$/.test(receipt.currency)) return Promise.reject(new LedgerInputError(`currency must be three upper-case letters, got ${JSON.stringify(receipt.currency)}`));
    if (!/^[0-9a-f]{64}$/.test(receipt.payloadHash)) return Promise.reject(new LedgerInputError('payloadHash must be 64 lower-case hex digits'));
    return this.receipts.submit(receipt).then((result) => {
      // The receipt statement committed: a charge, or suspense for an anomaly.
      if (result.outcome !== 'duplicate') this.metrics.ledgerAppend(result.entry.kind, receipt.channel);
      return result;
    });
  }

  /** One receipt, one statement (`payment_record_receipt`). */
  private async recordOne(receipt: ReceiptInput): Promise<ReceiptResult> {
    const { rows } = await this.db.query<ReceiptRow>(
      `SELECT r.outcome, r.anomaly, r.outbox_id, (r.entry).*
         FROM payment_record_receipt($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz) r`,
      [
        receipt.channel,
        receipt.outTradeNo,
        receipt.txnId,
        receipt.amount,
        receipt.currency,
        receipt.merchantAccount ?? null,
        receipt.providerOrderRef ?? null,
        receipt.providerEventId ?? null,
        receipt.actor,
        receipt.payloadHash,
        receipt.paidAt ?? null,
      ],
      { prepare: 'drmoto_record_receipt' },
    );
    if (!rows[0]) throw new Error('payment_record_receipt returned no row');
    return toReceiptResult(rows[0]);
  }

  /**
   * The batcher's run: a lone receipt as one statement; several in one `payment_record_receipts` call (one lock
   * hand-over, one commit). If that call fails, each is recorded alone, so one bad item can't fail its neighbours.
   */
  private async recordBatch(receipts: ReceiptInput[]): Promise<Array<BatchResult<ReceiptResult>>> {
    const alone = (r: ReceiptInput) => this.recordOne(r).then(
      (value): BatchResult<ReceiptResult> => ({ ok: true, value }),
      (error: unknown): BatchResult<ReceiptResult> => ({ ok: false, error }),
    );
    if (receipts.length === 1) return [await alone(receipts[0]!)];
    let rows: Array<ReceiptRow & { idx: number }>;
    try {
      const items = receipts.map((r) => ({
        channel: r.channel,
        out_trade_no: r.outTradeNo,
        txn_id: r.txnId,
        amount: r.amount,
        currency: r.currency,
        merchant_account: r.merchantAccount ?? null,
        provider_order_ref: r.providerOrderRef ?? null,
        provider_event_id: r.providerEventId ?? null,
        actor: r.actor,
        payload_hash: r.payloadHash,
        paid_at: r.paidAt ? r.paidAt.toISOString() : null,
      }));
      rows = (
        await this.db.query<ReceiptRow & { idx: number }>(
          `SELECT b.idx, (b.result).outcome, (b.result).anomaly, (b.result).outbox_id, ((b.result).entry).*
             FROM payment_record_receipts($1::jsonb) b`,
          [JSON.stringify(items)],
          { prepare: 'drmoto_record_receipts' },
        )
      ).rows;
    } catch {
      return Promise.all(receipts.map(alone));
    }
    const byIdx = new Map(rows.map((row) => [row.idx, row]));
    return receipts.map((_, i): BatchResult<ReceiptResult> => {
      const row = byIdx.get(i);
      if (!row) return { ok: false, error: new Error(`payment_record_receipts returned no row for item ${i}`) };
      try {
        return { ok: true, value: toReceiptResult(row) };
      } catch (error) {
        return { ok: false, error };
      }
    });
  }

  /** `append` in a transaction of its own. */
  appendOne(input: LedgerEntryInput): Promise<LedgerAppendResult> {
    return this.db.transaction((tx) => this.append(tx, input));
  }

  async get(seq: number, q: Db = this.db): Promise<LedgerEntry | undefined> {
    const { rows } = await q.query<LedgerRow>(`SELECT ${LEDGER_COLUMNS} FROM ledger_entries WHERE seq = $1`, [seq]);
    return rows[0] && toLedgerEntry(rows[0]);
  }

  /** The row recorded for a money event; `incoming`: the money-in side (amount > 0) of the reference. */
  async findByRef(channel: LedgerChannel, ref: string, incoming: boolean, q: Db = this.db): Promise<LedgerEntry | undefined> {
    const { rows } = await q.query<LedgerRow>(
      `SELECT ${LEDGER_COLUMNS} FROM ledger_entries WHERE channel = $1 AND ref = $2 AND (amount > 0) = $3`,
      [channel, ref, incoming],
    );
    return rows[0] && toLedgerEntry(rows[0]);
  }

  /** The receipt (charge or suspense) of a provider transaction, if recorded. */
  findReceipt(channel: LedgerChannel, providerTxnId: string, q: Db = this.db): Promise<LedgerEntry | undefined> {
    return this.findByRef(channel, `txn:${providerTxnId}`, true, q);
  }

  async listByWorkOrder(workOrderId: number, q: Db = this.db): Promise<LedgerEntry[]> {
    const { rows } = await q.query<LedgerRow>(`SELECT ${LEDGER_COLUMNS} FROM ledger_entries WHERE work_order_id = $1 ORDER BY seq`, [
      workOrderId,
    ]);
    return rows.map(toLedgerEntry);
  }

  /** Rows after `afterSeq` (up to `maxSeq` when given) in chain order: verification, exports. */
  async listAfter(afterSeq: number, limit: number, opts: { maxSeq?: number } = {}, q: Db = this.db): Promise<LedgerEntry[]> {
    const { rows } = await q.query<LedgerRow>(
      `SELECT ${LEDGER_COLUMNS} FROM ledger_entries WHERE seq > $1 AND ($3::bigint IS NULL OR seq <= $3) ORDER BY seq LIMIT $2`,
      [afterSeq, limit, opts.maxSeq ?? null],
    );
    return rows.map(toLedgerEntry);
  }

  async head(q: Db = this.db): Promise<{ seq: number; hash: string } | undefined> {
    const { rows } = await q.query<{ seq: number; hash: string }>('SELECT seq, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1');
    return rows[0];
  }

  /**
   * Privileges on the ledger the connected role should not have (UPDATE, DELETE, TRUNCATE): empty for a member of
   * drmoto_app; all three for the owner or a superuser, which only the trigger then stops. For a boot-time warning.
   */
  async excessPrivileges(q: Db = this.db): Promise<string[]> {
    const { rows } = await q.query<{ privilege: string }>(
      `SELECT p AS privilege FROM unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) p WHERE has_table_privilege('ledger_entries', p)`,
    );
    return rows.map((r) => r.privilege);
  }

  /**
   * Totals of a work order per currency. A refund check runs this inside its transaction, after taking its own
   * per-work-order lock, so two refunds can't both spend the same paid amount.
   */
  async workOrderTotals(workOrderId: number, q: Db = this.db): Promise<Map<string, LedgerTotals>> {
    const { rows } = await q.query<{ currency: string; kind: LedgerKind; total: string }>(
      `SELECT currency, kind, sum(amount)::text AS total FROM ledger_entries WHERE work_order_id = $1 GROUP BY currency, kind`,
      [workOrderId],
    );
    const byCurrency = new Map<string, LedgerTotals>();
    for (const row of rows) {
      const totals = byCurrency.get(row.currency) ?? emptyTotals();
      totals[row.kind] += BigInt(row.total);
      if (row.kind !== 'suspense') totals.netPaid += BigInt(row.total);
      byCurrency.set(row.currency, totals);
    }
    return byCurrency;
  }
}
