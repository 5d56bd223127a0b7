import type { Db } from './db';

/**
 * Verified provider reports the ledger can't take (migration 0014): kept once per (channel, dedupe key), counted on
 * every redelivery, for a manager to settle with the provider. Never money in the ledger.
 */

export type QuarantineChannel = 'wechat' | 'stripe';

export interface QuarantineInput {
  channel: QuarantineChannel;
  /** `txn:<id>`, `event:<id>` or `hash:<payload hash>`: what makes a redelivery the same report. */
  dedupeKey: string;
  /** `notify`, `query`, `webhook`, `reconciler`. */
  source: string;
  reason: string;
  eventType?: string | null;
  outTradeNo?: string | null;
  providerTxnId?: string | null;
  providerEventId?: string | null;
  /** The verified resource as the provider sent it (decrypted), kept for the people who settle it. */
  body: unknown;
  payloadHash: string;
}

export interface QuarantineEntry {
  id: number;
  channel: QuarantineChannel;
  dedupeKey: string;
  source: string;
  reason: string;
  eventType: string | null;
  outTradeNo: string | null;
  providerTxnId: string | null;
  providerEventId: string | null;
  body: string;
  payloadHash: string;
  deliveries: number;
  receivedAt: Date;
  lastReceivedAt: Date;
}

interface Row {
  id: number | string;
  channel: QuarantineChannel;
  dedupe_key: string;
  source: string;
  reason: string;
  event_type: string | null;
  out_trade_no: string | null;
  provider_txn_id: string | null;
  provider_event_id: string | null;
  body: string;
  payload_hash: string;
  deliveries: number;
  received_at: Date;
  last_received_at: Date;
  inserted?: boolean;
}

const COLUMNS = `id, channel, dedupe_key, source, reason, event_type, out_trade_no, provider_txn_id, provider_event_id, body,
  payload_hash, deliveries, received_at, last_received_at`;

const toEntry = (r: Row): QuarantineEntry => ({
  id: Number(r.id),
  channel: r.channel,
  dedupeKey: r.dedupe_key,
  source: r.source,
  reason: r.reason,
  eventType: r.event_type,
  outTradeNo: r.out_trade_no,
  providerTxnId: r.provider_txn_id,
  providerEventId: r.provider_event_id,
  body: r.body,
  payloadHash: r.payload_hash,
  deliveries: r.deliveries,
  receivedAt: r.received_at,
  lastReceivedAt: r.last_received_at,
});

// Provider strings are the sender's: bounded, and without NUL (PostgreSQL text can't hold one).
const clean = (s: string | null | undefined, max: number): string | null => (s == null ? null : s.replace(/\u0000/g, '\uFFFD').slice(0, max));

/** JSON text of a resource; JSON.stringify escapes NUL as \u0000, so the text itself holds none. */
function bodyText(body: unknown): string {
  try {
    return JSON.stringify(body) ?? 'null';
  } catch {
    return JSON.stringify(String(body));
  }
}

export class QuarantineRepository {
  constructor(private readonly db: Db) {}

  /** Keeps the report; `inserted` false when the same report (channel, dedupe key) was already kept (it is counted). */
  async record(input: QuarantineInput): Promise<{ inserted: boolean; entry: QuarantineEntry }> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO payment_quarantine (channel, dedupe_key, source, reason, event_type, out_trade_no, provider_txn_id, provider_event_id, body, payload_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (channel, dedupe_key) DO UPDATE
          SET deliveries = payment_quarantine.deliveries + 1, last_received_at = now()
       RETURNING ${COLUMNS}, (xmax = 0) AS inserted`,
      [
        input.channel,
        clean(input.dedupeKey, 300),
        clean(input.source, 40),
        clean(input.reason, 500),
        clean(input.eventType, 100),
        clean(input.outTradeNo, 100),
        clean(input.providerTxnId, 100),
        clean(input.providerEventId, 255),
        bodyText(input.body),
        input.payloadHash,
      ],
    );
    const row = rows[0]!;
    return { inserted: row.inserted === true, entry: toEntry(row) };
  }

  async list(opts: { limit?: number } = {}, q: Db = this.db): Promise<QuarantineEntry[]> {
    const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM payment_quarantine ORDER BY id DESC LIMIT $1`, [Math.min(opts.limit ?? 100, 1000)]);
    return rows.map(toEntry);
  }
}
