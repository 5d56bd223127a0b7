import type { OdooClient } from './client';
import { m2oId, m2oName, str, utc } from './shapes';

export interface PartLine {
  product_id: number;
  qty: number;
}

export interface PickingResult {
  id: number;
  picking_id: number;
  picking_name: string;
  state: string;
  replayed: boolean;
  lines: PartLine[];
}

export interface PartRowFull {
  product: { id: number; name: string } | null;
  uom: string | null;
  planned: number;
  requested: number;
  issued: number;
  returned: number;
  net: number;
}

export interface PickingRow {
  id: number;
  name: string;
  kind: 'issue' | 'return' | null;
  state: string;
  done_at: string | null;
}

const PART_FIELDS = ['product_id', 'uom_id', 'qty_planned', 'qty_requested', 'qty_issued', 'qty_returned', 'qty_net'];
const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/** Parts through Odoo stock pickings: each issue/return is one keyed, validated picking (docs/odoo-contract.md). */
export class PartsGateway {
  constructor(private readonly odoo: OdooClient) {}

  request(woId: number, requestKey: string, lines: PartLine[]): Promise<{ id: number; revision: number; replayed: boolean }> {
    return this.odoo.execute('drmoto.work.order', 'action_request_parts', [[woId], requestKey, lines], {}, { idempotent: true, requestKey });
  }

  /** Safe to resend after a timeout: the addon returns the picking already posted under this key. */
  issue(woId: number, requestKey: string, lines: PartLine[]): Promise<PickingResult> {
    return this.odoo.execute('drmoto.work.order', 'action_issue_parts', [[woId], requestKey, lines], {}, { idempotent: true, requestKey });
  }

  giveBack(woId: number, requestKey: string, lines: PartLine[]): Promise<PickingResult> {
    return this.odoo.execute('drmoto.work.order', 'action_return_parts', [[woId], requestKey, lines], {}, { idempotent: true, requestKey });
  }

  async parts(woId: number): Promise<PartRowFull[]> {
    const rows = await this.odoo.searchRead<Record<string, unknown>>('drmoto.work.order.part', [['work_order_id', '=', woId]], PART_FIELDS, { order: 'id asc' });
    return rows.map((r) => ({
      product: m2oId(r.product_id) ? { id: m2oId(r.product_id)!, name: m2oName(r.product_id) ?? '' } : null,
      uom: m2oName(r.uom_id),
      planned: num(r.qty_planned),
      requested: num(r.qty_requested),
      issued: num(r.qty_issued),
      returned: num(r.qty_returned),
      net: num(r.qty_net),
    }));
  }

  async pickings(woId: number): Promise<PickingRow[]> {
    const rows = await this.odoo.searchRead<Record<string, unknown>>('stock.picking', [['drmoto_work_order_id', '=', woId]], ['name', 'state', 'drmoto_kind', 'date_done'], { order: 'id asc' });
    return rows.map((r) => ({ id: r.id as number, name: str(r.name) ?? '', kind: r.drmoto_kind === 'issue' || r.drmoto_kind === 'return' ? r.drmoto_kind : null, state: str(r.state) ?? '', done_at: utc(r.date_done) }));
  }

  async pickingCount(woId: number, requestKey?: string): Promise<number> {
    const domain: unknown[] = [['drmoto_work_order_id', '=', woId]];
    if (requestKey) domain.push(['drmoto_request_key', '=', requestKey]);
    return this.odoo.searchCount('stock.picking', domain);
  }
}
