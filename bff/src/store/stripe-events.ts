import type { Db } from './db';

/** Stripe events seen (migration 0008): dedupe on event.id. */
export class StripeEventRepository {
  constructor(private readonly db: Db) {}

  /** Records the arrival; true when the event was already processed (a redelivery to ignore). */
  async seen(id: string, type: string, payloadHash: string): Promise<boolean> {
    await this.db.query(`INSERT INTO stripe_events (id, type, payload_hash) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, [id, type, payloadHash]);
    const { rows } = await this.db.query<{ processed: boolean }>(`SELECT processed_at IS NOT NULL AS processed FROM stripe_events WHERE id = $1`, [id]);
    return rows[0]?.processed === true;
  }

  async processed(id: string, outcome: string): Promise<void> {
    await this.db.query(`UPDATE stripe_events SET processed_at = now(), outcome = $2 WHERE id = $1 AND processed_at IS NULL`, [id, outcome.slice(0, 200)]);
  }
}
