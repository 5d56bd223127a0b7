import type { Db } from './db';

/**
 * Named leases in the BFF store (migration 0013): at most one holder per name at a time, for as long as it keeps
 * renewing. Whoever holds an expired lease loses it to the next taker, so a crashed holder is replaced after one TTL.
 */
export class LeaseRepository {
  constructor(private readonly db: Db) {}

  /**
   * Takes or renews `name` for `ttlMs` when it is free, expired or already `holder`'s; true when `holder` holds it now.
   * One statement: two replicas racing for a free lease meet on the primary key, and the second finds it taken.
   */
  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const { rows } = await this.db.query(
      `INSERT INTO bff_leases AS l (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
         ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
         WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
       RETURNING holder`,
      [name, holder, ttlMs],
    );
    return rows.length === 1;
  }

  /** Gives `name` up if `holder` has it (a clean shutdown: the next replica need not wait for the TTL). */
  async release(name: string, holder: string): Promise<void> {
    await this.db.query('DELETE FROM bff_leases WHERE name = $1 AND holder = $2', [name, holder]);
  }
}
