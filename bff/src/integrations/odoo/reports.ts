import { AppError } from '../../errors';
import type { OdooClient } from './client';
import { m2oId, m2oName } from './shapes';

/**
 * Report reads (docs/odoo-contract.md "Reports"): Odoo's own `read_group` with the shop's `tz` in the context, so a
 * day is the shop's day, counted by Odoo from its records (not from copies in the BFF). Always `lazy: false`: one
 * flat row per combination with `__count` — the lazy form would also run the state field's group_expand.
 * The day of a group is taken from `__range` (the UTC bounds Odoo computed in the zone), not from its display label.
 */

export interface DateWindow {
  shopId: number;
  /** [from, to) in UTC, Odoo's text form `YYYY-MM-DD HH:MM:SS`. */
  fromUtc: string;
  toUtc: string;
  tz: string;
}

export interface StateCount {
  state: string;
  count: number;
}

export interface DayCount {
  /** YYYY-MM-DD in the shop's time zone. */
  day: string;
  count: number;
}

export interface PartsDayRow {
  day: string;
  product: { id: number; name: string };
  uom: { id: number; name: string };
  /** Done quantity in the move's unit of measure. */
  qty: number;
  moves: number;
}

export type PartsKind = 'issue' | 'return';

type Group = Record<string, unknown> & { __count?: number; __range?: Record<string, { from: string; to: string } | false> };

/** `2026-03-14 16:00:00` (UTC) → the calendar day it starts in `tz`. */
export function localDayOf(odooUtc: string, tz: string): string {
  const d = new Date(`${odooUtc.replace(' ', 'T')}Z`);
  if (Number.isNaN(d.getTime())) throw new AppError('upstream_error', `Odoo returned an unreadable group bound ${JSON.stringify(odooUtc)}.`);
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

function dayOf(g: Group, spec: string, tz: string): string | null {
  const range = g.__range?.[spec];
  if (range === false) return null;
  if (!range || typeof range.from !== 'string') throw new AppError('upstream_error', `Odoo's read_group answer has no __range for ${spec}.`);
  return localDayOf(range.from, tz);
}

const count = (g: Group): number => (typeof g.__count === 'number' ? g.__count : 0);

export class ReportGateway {
  constructor(private readonly odoo: OdooClient) {}

  private readGroup(model: string, domain: unknown[], fields: string[], groupby: string[], tz: string): Promise<Group[]> {
    return this.odoo.execute<Group[]>(model, 'read_group', [domain, fields, groupby], { lazy: false }, { idempotent: true, context: { tz } });
  }

  private createdIn(w: DateWindow): unknown[] {
    return [['company_id', '=', w.shopId], ['create_date', '>=', w.fromUtc], ['create_date', '<', w.toUtc]];
  }

  /** Work orders created in the window, by their current state. */
  async workOrderStates(w: DateWindow): Promise<StateCount[]> {
    const rows = await this.readGroup('drmoto.work.order', this.createdIn(w), [], ['state'], w.tz);
    return rows.map((g) => ({ state: String(g.state), count: count(g) }));
  }

  /** Work orders created per shop-local day. */
  async workOrdersCreated(w: DateWindow): Promise<DayCount[]> {
    const rows = await this.readGroup('drmoto.work.order', this.createdIn(w), [], ['create_date:day'], w.tz);
    return rows.flatMap((g) => {
      const day = dayOf(g, 'create_date:day', w.tz);
      return day ? [{ day, count: count(g) }] : [];
    });
  }

  /** Work orders closed per shop-local day (`closed_at` is set once, by action_close). */
  async workOrdersClosed(w: DateWindow): Promise<DayCount[]> {
    const domain = [['company_id', '=', w.shopId], ['closed_at', '>=', w.fromUtc], ['closed_at', '<', w.toUtc]];
    const rows = await this.readGroup('drmoto.work.order', domain, [], ['closed_at:day'], w.tz);
    return rows.flatMap((g) => {
      const day = dayOf(g, 'closed_at:day', w.tz);
      return day ? [{ day, count: count(g) }] : [];
    });
  }

  /**
   * Done stock moves of work-order pickings of one kind (issue: stock → customer; return: back), per shop-local day
   * of the move's `date` (set to the validation time when a move is done), product and unit of measure.
   */
  async partsMoves(w: DateWindow, kind: PartsKind): Promise<PartsDayRow[]> {
    const domain = [
      ['company_id', '=', w.shopId],
      ['state', '=', 'done'],
      ['drmoto_work_order_id', '!=', false],
      ['picking_id.drmoto_kind', '=', kind],
      ['date', '>=', w.fromUtc],
      ['date', '<', w.toUtc],
    ];
    const rows = await this.readGroup('stock.move', domain, ['quantity:sum'], ['date:day', 'product_id', 'product_uom'], w.tz);
    return rows.flatMap((g) => {
      const day = dayOf(g, 'date:day', w.tz);
      const productId = m2oId(g.product_id);
      const uomId = m2oId(g.product_uom);
      if (!day || productId === null || uomId === null) return [];
      return [
        {
          day,
          product: { id: productId, name: m2oName(g.product_id) ?? '' },
          uom: { id: uomId, name: m2oName(g.product_uom) ?? '' },
          qty: typeof g.quantity === 'number' ? g.quantity : 0,
          moves: count(g),
        },
      ];
    });
  }

  /** Work order numbers (`WO/2026/00001`) by id, for the rows of a history page. */
  async workOrderNames(ids: number[]): Promise<Map<number, string>> {
    if (!ids.length) return new Map();
    const rows = await this.odoo.searchRead<{ id: number; name: string }>('drmoto.work.order', [['id', 'in', ids]], ['name']);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** The ids of a customer's work orders (every shop). */
  async customerWorkOrderIds(partnerId: number, max: number): Promise<number[]> {
    return this.odoo.execute<number[]>('drmoto.work.order', 'search', [[['partner_id', '=', partnerId]]], { limit: max, order: 'id desc' }, { idempotent: true });
  }
}
