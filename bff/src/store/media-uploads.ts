import type { Db } from './db';

/**
 * Media uploads (migration 0011, DESIGN.md §10): what the BFF presigned — the exact key, the declared name, type and
 * size, who asked and until when. `complete` checks the object against this record before writing anything to Odoo.
 */

export type MediaKind = 'checkin_photo' | 'damage' | 'repair_evidence' | 'other';
export type UploadState = 'pending' | 'completed' | 'rejected' | 'expired';

export interface MediaUpload {
  id: string;
  workOrderId: number;
  shopId: number | null;
  objectKey: string;
  filename: string;
  contentType: string;
  size: number;
  kind: MediaKind;
  method: 'POST' | 'PUT';
  principal: string;
  state: UploadState;
  expiresAt: Date;
  createdAt: Date;
  completedAt: Date | null;
  odooMediaId: number | null;
  rejectCode: string | null;
  rejectReason: string | null;
}

interface Row {
  id: string;
  work_order_id: number;
  shop_id: number | null;
  object_key: string;
  filename: string;
  content_type: string;
  size: number;
  kind: MediaKind;
  method: 'POST' | 'PUT';
  principal: string;
  state: UploadState;
  expires_at: Date;
  created_at: Date;
  completed_at: Date | null;
  odoo_media_id: number | null;
  reject_code: string | null;
  reject_reason: string | null;
}

const COLUMNS = `id, work_order_id, shop_id, object_key, filename, content_type, size, kind, method, principal, state, expires_at,
  created_at, completed_at, odoo_media_id, reject_code, reject_reason`;

const toUpload = (r: Row): MediaUpload => ({
  id: r.id,
  workOrderId: r.work_order_id,
  shopId: r.shop_id,
  objectKey: r.object_key,
  filename: r.filename,
  contentType: r.content_type,
  size: Number(r.size),
  kind: r.kind,
  method: r.method,
  principal: r.principal,
  state: r.state,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
  completedAt: r.completed_at,
  odooMediaId: r.odoo_media_id,
  rejectCode: r.reject_code,
  rejectReason: r.reject_reason,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class MediaUploadRepository {
  constructor(private readonly db: Db) {}

  async create(u: Omit<MediaUpload, 'state' | 'createdAt' | 'completedAt' | 'odooMediaId' | 'rejectCode' | 'rejectReason'>): Promise<MediaUpload> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO media_uploads (id, work_order_id, shop_id, object_key, filename, content_type, size, kind, method, principal, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       RETURNING ${COLUMNS}`,
      [u.id, u.workOrderId, u.shopId, u.objectKey, u.filename, u.contentType, u.size, u.kind, u.method, u.principal, u.expiresAt],
    );
    return toUpload(rows[0]!);
  }

  async get(id: string): Promise<MediaUpload | undefined> {
    if (!UUID.test(id)) return undefined;
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM media_uploads WHERE id = $1`, [id]);
    return rows[0] && toUpload(rows[0]);
  }

  /** pending → completed; a twin that completed first wins (its Odoo id is the same: Odoo replays the request key). */
  async markCompleted(id: string, odooMediaId: number): Promise<MediaUpload> {
    await this.db.query(
      `UPDATE media_uploads SET state = 'completed', odoo_media_id = $2, completed_at = now() WHERE id = $1 AND state = 'pending'`,
      [id, odooMediaId],
    );
    return (await this.get(id))!;
  }

  /** pending → rejected with a stable code; the answer to every later `complete`. */
  async markRejected(id: string, code: string, reason: string): Promise<MediaUpload> {
    await this.db.query(`UPDATE media_uploads SET state = 'rejected', reject_code = $2, reject_reason = $3 WHERE id = $1 AND state = 'pending'`, [id, code, reason]);
    return (await this.get(id))!;
  }

  /** Pending uploads whose completion window closed before `before` (housekeeping deletes their objects). */
  async stale(before: Date, limit = 500): Promise<MediaUpload[]> {
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM media_uploads WHERE state = 'pending' AND expires_at < $1 ORDER BY expires_at LIMIT $2`, [before, limit]);
    return rows.map(toUpload);
  }

  async markExpired(id: string): Promise<void> {
    await this.db.query(`UPDATE media_uploads SET state = 'expired', reject_code = 'MEDIA_EXPIRED', reject_reason = 'never completed' WHERE id = $1 AND state = 'pending'`, [id]);
  }
}
