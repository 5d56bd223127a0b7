import type { Db } from './db';

// Classid for pg_advisory_xact_lock(int, int), distinct from the ledger's ('ledg') and the migrator's.
export const WORK_ORDER_LOCK_CLASS = 0x776f6c6b; // 'wolk'

/**
 * Serializes money decisions about one work order (an offline payment against the amount due, a refund against what
 * was paid less what is refunded or in flight) until the transaction ends. Take it first, before the ledger append
 * (which takes the chain lock), so the two locks are always taken in that order. The key includes the schema, so test
 * schemas sharing a database don't serialize each other. PGlite is one connection: there it is trivially held.
 */
export async function lockWorkOrder(tx: Db, workOrderId: number): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock($1, hashtext(current_schema() || '/' || $2::text)) AS locked`, [WORK_ORDER_LOCK_CLASS, workOrderId]);
}
