import type { Db } from './db';

/** Who acted: a staff user (Odoo uid), a customer (partner id), the BFF itself, or a payment provider's webhook. */
export type ActorKind = 'staff' | 'customer' | 'system' | 'provider';

export interface AuditEntryInput {
  action: string;
  traceId?: string;
  actorKind?: ActorKind;
  actorId?: string;
  target?: string;
  detail?: Record<string, unknown>;
}

export interface AuditEntry {
  id: number;
  at: Date;
  traceId: string | null;
  actorKind: ActorKind | null;
  actorId: string | null;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}

interface AuditRow {
  id: number;
  at: Date;
  trace_id: string | null;
  actor_kind: ActorKind | null;
  actor_id: string | null;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}

export const AUDIT_LIST_MAX = 1000;

const toEntry = (row: AuditRow): AuditEntry => ({
  id: row.id,
  at: row.at,
  traceId: row.trace_id,
  actorKind: row.actor_kind,
  actorId: row.actor_id,
  action: row.action,
  target: row.target,
  detail: row.detail,
});

export class AuditRepository {
  constructor(private readonly db: Db) {}

  /** Pass `tx` to write the entry in the same transaction as the change it describes. */
  async record(entry: AuditEntryInput, tx: Db = this.db): Promise<AuditEntry> {
    const { rows } = await tx.query<AuditRow>(
      `INSERT INTO bff_audit_log (trace_id, actor_kind, actor_id, action, target, detail)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb)
       RETURNING id, at, trace_id, actor_kind, actor_id, action, target, detail`,
      [
        entry.traceId ?? null,
        entry.actorKind ?? null,
        entry.actorId ?? null,
        entry.action,
        entry.target ?? null,
        // Serialized here: pg would send a JS array as a Postgres array, not as JSON.
        entry.detail === undefined ? null : JSON.stringify(entry.detail),
      ],
    );
    const row = rows[0];
    if (!row) {
      throw new Error('INSERT … RETURNING returned no row');
    }
    return toEntry(row);
  }

  /** Newest first. */
  async list(opts: { limit?: number; target?: string } = {}): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 50), 1), AUDIT_LIST_MAX);
    const { rows } = await this.db.query<AuditRow>(
      `SELECT id, at, trace_id, actor_kind, actor_id, action, target, detail
         FROM bff_audit_log
        WHERE ($1::text IS NULL OR target = $1)
        ORDER BY id DESC
        LIMIT $2`,
      [opts.target ?? null, limit],
    );
    return rows.map(toEntry);
  }
}
