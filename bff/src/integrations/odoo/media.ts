import type { OdooClient } from './client';
import { m2oId, m2oName, str, utc } from './shapes';

export interface MediaVals {
  object_key: string;
  name: string;
  content_type: string;
  size: number;
  kind: 'checkin_photo' | 'damage' | 'repair_evidence' | 'other';
}

export interface MediaRow {
  id: number;
  work_order_id: number;
  object_key: string;
  name: string;
  content_type: string;
  size: number;
  kind: MediaVals['kind'];
  actor_kind: 'staff' | 'customer' | 'system';
  actor_user: { id: number; name: string } | null;
  actor_partner: { id: number; name: string } | null;
  uploaded_at: string | null;
}

const FIELDS = ['work_order_id', 'object_key', 'name', 'content_type', 'size', 'kind', 'actor_kind', 'actor_user_id', 'actor_partner_id', 'uploaded_at'];
const ref = (v: unknown) => (m2oId(v) ? { id: m2oId(v)!, name: m2oName(v) ?? '' } : null);

/** Media metadata in Odoo (`drmoto.work.order.media`, docs/odoo-contract.md "Media"). */
export class MediaGateway {
  constructor(private readonly odoo: OdooClient) {}

  /** Safe to resend after a timeout: the addon returns the media already recorded under this key. */
  add(workOrderId: number, requestKey: string, vals: MediaVals): Promise<{ id: number; media_id: number; replayed: boolean }> {
    return this.odoo.execute('drmoto.work.order', 'action_add_media', [[workOrderId], requestKey, vals], {}, { idempotent: true, requestKey });
  }

  async list(workOrderId: number): Promise<MediaRow[]> {
    const rows = await this.odoo.searchRead<Record<string, unknown>>('drmoto.work.order.media', [['work_order_id', '=', workOrderId]], FIELDS, { order: 'uploaded_at asc, id asc' });
    return rows.map((r) => ({
      id: r.id as number,
      work_order_id: m2oId(r.work_order_id) ?? workOrderId,
      object_key: str(r.object_key) ?? '',
      name: str(r.name) ?? '',
      content_type: str(r.content_type) ?? '',
      size: typeof r.size === 'number' ? r.size : 0,
      kind: (str(r.kind) ?? 'other') as MediaVals['kind'],
      actor_kind: (str(r.actor_kind) ?? 'staff') as MediaRow['actor_kind'],
      actor_user: ref(r.actor_user_id),
      actor_partner: ref(r.actor_partner_id),
      uploaded_at: utc(r.uploaded_at),
    }));
  }

  async countByKey(workOrderId: number, requestKey?: string): Promise<number> {
    const domain: unknown[] = [['work_order_id', '=', workOrderId]];
    if (requestKey) domain.push(['request_key', '=', requestKey]);
    return this.odoo.searchCount('drmoto.work.order.media', domain);
  }
}
