import type { LedgerKind } from '../domain/ledger-hash';
import type { Db } from './db';

/**
 * Settlement outbox (migration 0005, DESIGN.md §9): one row per ledger row that Odoo must learn about, inserted in the
 * ledger append's transaction. The relay hands pending rows to the queue (job id `settle-<id>`); the job marks them
 * settled or records the failed attempt; the reconciler walks rows left pending after a crash or a lost job.
 */

export type OutboxState = 'pending' | 'settled' | 'failed';

export interface OutboxEntry {
  id: number;
  ledgerSeq: number;
  workOrderId: number;
  kind: LedgerKind;
  state: OutboxState;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  createdAt: Date;
  updatedAt: Date;
  settledAt: Date | null;
}

export interface EnqueueResult {
  entry: OutboxEntry;
  /** False: this ledger row was already enqueued; `entry` is that row. */
  inserted: boolean;
}

export interface OutboxRetryPolicy {
  /** Delay after the first failed attempt (default 30 s); doubles per attempt. */
  baseDelayMs?: number;
  /** Longest delay (default 1 h). */
  maxDelayMs?: number;
}

export class OutboxMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboxMismatchError';
  }
}

interface OutboxRow {
  id: number;
  ledger_seq: number;
  work_order_id: number;
  kind: LedgerKind;
  state: OutboxState;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  created_at: Date;
  updated_at: Date;
  settled_at: Date | null;
}

const toEntry = (r: OutboxRow): OutboxEntry => ({
  id: r.id,
  ledgerSeq: r.ledger_seq,
  workOrderId: r.work_order_id,
  kind: r.kind,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  settledAt: r.settled_at,
});

const COLUMNS = 'id, ledger_seq, work_order_id, kind, state, attempts, last_error, next_attempt_at, created_at, updated_at, settled_at';
const LIST_MAX = 1000;
// An error text from Odoo can be a whole traceback; keep what helps and no more.
const ERROR_MAX = 2000;

const clip = (error: string | null): string | null => (error === null ? null : error.slice(0, ERROR_MAX));

export class SettlementOutboxRepository {
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly db: Db,
    policy: OutboxRetryPolicy = {},
  ) {
    this.baseDelayMs = policy.baseDelayMs ?? 30_000;
    this.maxDelayMs = policy.maxDelayMs ?? 3600_000;
    if (!(this.baseDelayMs >= 0) || !(this.maxDelayMs >= this.baseDelayMs)) {
      throw new RangeError(`outbox retry delays must satisfy 0 <= base (${this.baseDelayMs}) <= max (${this.maxDelayMs})`);
    }
  }

  /**
   * Enqueues the settlement of a ledger row, in the transaction that appended it. Idempotent per ledger row (a
   * duplicate webhook that got `inserted: false` from the ledger may call it again). The ledger row must exist with
   * this work order and kind — a mismatch is a bug and throws.
   */
  async enqueue(tx: Db, ledgerSeq: number, workOrderId: number, kind: LedgerKind): Promise<EnqueueResult> {
    const inserted = await tx.query<OutboxRow>(
      `INSERT INTO settlement_outbox (ledger_seq, work_order_id, kind)
       SELECT seq, work_order_id, kind FROM ledger_entries WHERE seq = $1 AND work_order_id = $2 AND kind = $3
       ON CONFLICT (ledger_seq) DO NOTHING
       RETURNING ${COLUMNS}`,
      [ledgerSeq, workOrderId, kind],
    );
    if (inserted.rows[0]) return { entry: toEntry(inserted.rows[0]), inserted: true };
    const existing = await this.getByLedgerSeq(ledgerSeq, tx);
    if (existing && existing.workOrderId === workOrderId && existing.kind === kind) return { entry: existing, inserted: false };
    throw new OutboxMismatchError(
      existing
        ? `ledger row ${ledgerSeq} is already enqueued for work order ${existing.workOrderId} (${existing.kind})`
        : `ledger row ${ledgerSeq} is not a ${kind} of work order ${workOrderId}`,
    );
  }

  async get(id: number, q: Db = this.db): Promise<OutboxEntry | undefined> {
    const { rows } = await q.query<OutboxRow>(`SELECT ${COLUMNS} FROM settlement_outbox WHERE id = $1`, [id]);
    return rows[0] && toEntry(rows[0]);
  }

  async getByLedgerSeq(ledgerSeq: number, q: Db = this.db): Promise<OutboxEntry | undefined> {
    const { rows } = await q.query<OutboxRow>(`SELECT ${COLUMNS} FROM settlement_outbox WHERE ledger_seq = $1`, [ledgerSeq]);
    return rows[0] && toEntry(rows[0]);
  }

  /**
   * Pending rows due for an attempt, oldest first. `olderThanMs`: only rows created at least that long ago (the
   * reconciler's "lost job" sweep, leaving fresh rows to the relay); `afterId`: the next page. Ages use the database's clock.
   */
  async pending(opts: { limit?: number; olderThanMs?: number; afterId?: number } = {}): Promise<OutboxEntry[]> {
    const { rows } = await this.db.query<OutboxRow>(
      `SELECT ${COLUMNS} FROM settlement_outbox
        WHERE state = 'pending' AND next_attempt_at <= now() AND id > $3
          AND ($1::double precision IS NULL OR created_at <= now() - $1::double precision * interval '1 millisecond')
        ORDER BY id LIMIT $2`,
      [opts.olderThanMs ?? null, Math.min(opts.limit ?? 100, LIST_MAX), opts.afterId ?? 0],
    );
    return rows.map(toEntry);
  }

  /**
   * Rows not yet settled and the age of the oldest, in seconds (0 when none): the operator's view of how far Odoo is
   * behind the ledger. Reads only the pending rows (partial index settlement_outbox_pending_idx).
   */
  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const { rows } = await this.db.query<{ pending: number; oldest_age_s: number }>(
      `SELECT count(*)::int AS pending, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_age_s
         FROM settlement_outbox WHERE state = 'pending'`,
    );
    return { pending: rows[0]?.pending ?? 0, oldestAgeSeconds: Math.max(0, rows[0]?.oldest_age_s ?? 0) };
  }

  /** Everything of a work order not yet settled (pending or failed), e.g. before closing it or to show a manager. */
  async pendingForWorkOrder(workOrderId: number, q: Db = this.db): Promise<OutboxEntry[]> {
    const { rows } = await q.query<OutboxRow>(
      `SELECT ${COLUMNS} FROM settlement_outbox WHERE work_order_id = $1 AND state <> 'settled' ORDER BY id`,
      [workOrderId],
    );
    return rows.map(toEntry);
  }

  /** Settled (from pending or failed). False when it already was, or is unknown: a replayed job is harmless. */
  async markSettled(id: number, q: Db = this.db): Promise<boolean> {
    const r = await q.query(
      `UPDATE settlement_outbox SET state = 'settled', settled_at = now(), updated_at = now(), last_error = NULL
        WHERE id = $1 AND state <> 'settled'`,
      [id],
    );
    return r.rowCount === 1;
  }

  /** Gives up: a manager has to look (the job's error was unrecoverable). Counts as an attempt. */
  async markFailed(id: number, error: string, q: Db = this.db): Promise<boolean> {
    const r = await q.query(
      `UPDATE settlement_outbox SET state = 'failed', attempts = attempts + 1, last_error = $2, updated_at = now()
        WHERE id = $1 AND state = 'pending'`,
      [id, clip(error)],
    );
    return r.rowCount === 1;
  }

  /**
   * A failed attempt that will be retried: counts it, keeps the error and pushes `next_attempt_at` back
   * exponentially (base · 2^(attempts-1), capped) so the reconciler does not hammer a down Odoo.
   */
  async recordAttempt(id: number, error: string | null, q: Db = this.db): Promise<OutboxEntry | undefined> {
    const { rows } = await q.query<OutboxRow>(
      `UPDATE settlement_outbox
          SET attempts = attempts + 1, last_error = $2, updated_at = now(),
              next_attempt_at = now() + least($4::double precision, $3::double precision * power(2, least(attempts, 30)))
                                         * interval '1 millisecond'
        WHERE id = $1 AND state = 'pending'
        RETURNING ${COLUMNS}`,
      [id, clip(error), this.baseDelayMs, this.maxDelayMs],
    );
    return rows[0] && toEntry(rows[0]);
  }

  /** Every pending row waiting out its backoff becomes due now (Odoo is back); returns how many. */
  async dueNow(q: Db = this.db): Promise<number> {
    const r = await q.query(`UPDATE settlement_outbox SET next_attempt_at = now() WHERE state = 'pending' AND next_attempt_at > now()`);
    return r.rowCount ?? 0;
  }

  /** A manager's retry of a failed row: pending again, due now. */
  async requeue(id: number, q: Db = this.db): Promise<boolean> {
    const r = await q.query(
      `UPDATE settlement_outbox SET state = 'pending', next_attempt_at = now(), updated_at = now() WHERE id = $1 AND state = 'failed'`,
      [id],
    );
    return r.rowCount === 1;
  }
}
