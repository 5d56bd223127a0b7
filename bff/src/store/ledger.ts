import {
  GENESIS_HASH,
  ledgerEntryHash,
  type LedgerChannel,
  type LedgerHashInput,
  type LedgerKind,
} from '../domain/ledger-hash';
import type { Db } from './db';

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

// Classid for pg_advisory_xact_lock(int, int), distinct from migrate.ts's; the second key is the schema, so test
// schemas (and several ledgers in one database) don't serialize each other.
export const LEDGER_LOCK_CLASS = 0x6c656467; // 'ledg'

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

const emptyTotals = (): LedgerTotals => ({ charge: 0n, refund: 0n, reversal: 0n, suspense: 0n, netPaid: 0n });

export class LedgerRepository {
  private installation?: Promise<string>;

  constructor(private readonly db: Db) {}

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
   * Appends one row inside the caller's transaction (the webhook writes the ledger row and its outbox row together),
   * or returns the row already recorded for the same money event with `inserted: false` — as it was first recorded:
   * a caller that cares compares `entry` (a provider reporting one transaction id with two amounts is an alert, not
   * new money). The advisory lock is held until that transaction ends: keep it short. Needs READ COMMITTED, so the
   * head read after the lock sees the previous append.
   */
  async append(tx: Db, input: LedgerEntryInput): Promise<LedgerAppendResult> {
    if (tx === this.db) {
      throw new LedgerUsageError('LedgerRepository.append needs a transaction handle (db.transaction(tx => …)); use appendOne otherwise');
    }
    validate(input);
    const ref = ledgerRef(input);
    const incoming = input.amount > 0;

    const lock = await tx.query<{ isolation: string }>(
      `SELECT pg_advisory_xact_lock($1, hashtext(current_schema())) AS locked, current_setting('transaction_isolation') AS isolation`,
      [LEDGER_LOCK_CLASS],
    );
    // Under REPEATABLE READ the snapshot predates the lock, so the head read below could be stale.
    if (lock.rows[0]?.isolation !== 'read committed') {
      throw new LedgerUsageError(`LedgerRepository.append needs READ COMMITTED, got ${lock.rows[0]?.isolation}`);
    }

    // Statement after the lock: a fresh snapshot with every earlier append committed. clock_timestamp(), not now():
    // a transaction that waited for the lock must not be stamped before the row it follows.
    const head = await tx.query<{ head_seq: number | null; head_hash: string | null; now_text: string } & Partial<LedgerRow>>(
      `SELECT h.seq AS head_seq, h.hash AS head_hash,
              to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS now_text,
              d.*
         FROM (SELECT 1) one
         LEFT JOIN LATERAL (SELECT seq, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1) h ON true
         LEFT JOIN LATERAL (SELECT ${LEDGER_COLUMNS} FROM ledger_entries
                             WHERE channel = $1 AND ref = $2 AND (amount > 0) = $3) d ON true`,
      [input.channel, ref, incoming],
    );
    const h = head.rows[0];
    if (!h) throw new Error('ledger head query returned no row');
    if (h.seq != null) {
      const existing = toLedgerEntry(h as LedgerRow);
      return { seq: existing.seq, hash: existing.hash, createdAt: existing.createdAt, inserted: false, entry: existing };
    }

    const withoutHash: Omit<LedgerEntry, 'hash'> = {
      seq: (h.head_seq ?? 0) + 1,
      createdAt: h.now_text,
      kind: input.kind,
      amount: input.amount,
      currency: input.currency,
      shopId: input.shopId,
      warehouseId: input.warehouseId,
      merchantAccount: input.merchantAccount,
      channel: input.channel,
      ref,
      providerTxnId: input.providerTxnId ?? null,
      providerRefundId: input.providerRefundId ?? null,
      providerEventId: input.providerEventId ?? null,
      sourceSeq: input.sourceSeq ?? null,
      workOrderId: input.workOrderId ?? null,
      paymentOrderId: input.paymentOrderId ?? null,
      actor: input.actor,
      reason: input.reason ?? null,
      payloadHash: input.payloadHash,
      prevHash: h.head_hash ?? GENESIS_HASH,
    };
    const entry: LedgerEntry = { ...withoutHash, hash: ledgerEntryHash(hashInputOf(withoutHash)) };

    // ON CONFLICT DO NOTHING is only the backstop (the lookup above ran under the lock): it keeps the caller's
    // transaction usable if a writer that bypassed the lock got there first.
    const inserted = await tx.query<{ seq: number }>(
      `INSERT INTO ledger_entries (seq, created_at, kind, amount, currency, shop_id, warehouse_id, merchant_account, channel, ref,
         provider_txn_id, provider_refund_id, provider_event_id, source_seq, work_order_id, payment_order_id, actor, reason,
         payload_hash, prev_hash, hash)
       VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
       ON CONFLICT DO NOTHING
       RETURNING seq`,
      [
        entry.seq,
        entry.createdAt,
        entry.kind,
        entry.amount,
        entry.currency,
        entry.shopId,
        entry.warehouseId,
        entry.merchantAccount,
        entry.channel,
        entry.ref,
        entry.providerTxnId,
        entry.providerRefundId,
        entry.providerEventId,
        entry.sourceSeq,
        entry.workOrderId,
        entry.paymentOrderId,
        entry.actor,
        entry.reason,
        entry.payloadHash,
        entry.prevHash,
        entry.hash,
      ],
    );
    if (inserted.rowCount === 1) {
      return { seq: entry.seq, hash: entry.hash, createdAt: entry.createdAt, inserted: true, entry };
    }
    const existing = await this.findByRef(input.channel, ref, incoming, tx);
    if (existing) {
      return { seq: existing.seq, hash: existing.hash, createdAt: existing.createdAt, inserted: false, entry: existing };
    }
    throw new LedgerUsageError(`ledger row ${entry.seq} conflicted with the chain head: a writer appended without the ledger lock`);
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
