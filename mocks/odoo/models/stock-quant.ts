/**
 * stock.quant: what is on hand per (product, location). The mock tracks internal locations only (Odoo keeps
 * quants of customer/vendor locations too, but nothing reads them here); done moves change them through
 * `updateQuantity` / `reserveQuantity`, never through RPC writes.
 */
import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';

/** the location and everything below it (child_of) */
export function childLocations(env: Env, locationIds: number[]): number[] {
  const locations = env.model('stock.location').sudo().allRows();
  const out = new Set<number>(locationIds);
  let grew = true;
  while (grew) {
    grew = false;
    for (const l of locations) {
      if (!out.has(l.id) && l.location_id !== null && out.has(l.location_id as number)) {
        out.add(l.id);
        grew = true;
      }
    }
  }
  return [...out];
}

export function isInternalLocation(env: Env, locationId: number | null): boolean {
  return locationId !== null && env.model('stock.location').sudo().row(locationId)?.usage === 'internal';
}

/** quants of a product in internal locations (under `locationIds` when given), oldest first (FIFO removal) */
export function quantsOf(env: Env, productId: number, locationIds: number[] | null = null): Row[] {
  const under = locationIds ? new Set(childLocations(env, locationIds)) : null;
  return env
    .model('stock.quant')
    .sudo()
    .allRows()
    .filter((q) => q.product_id === productId && isInternalLocation(env, q.location_id as number) && (!under || under.has(q.location_id as number)))
    .sort((a, b) => String(a.in_date ?? '').localeCompare(String(b.in_date ?? '')) || a.id - b.id);
}

/** the quant of (product, location), created at 0 when missing */
function quantAt(env: Env, productId: number, locationId: number): Row {
  const quants = env.model('stock.quant').sudo();
  const found = quants.allRows().find((q) => q.product_id === productId && q.location_id === locationId);
  if (found) return found;
  const companyId = (env.model('stock.location').sudo().row(locationId)?.company_id as number | null | undefined) ?? null;
  const [id] = quants.create([{ product_id: productId, location_id: locationId, company_id: companyId ?? false, quantity: 0, reserved_quantity: 0 }]);
  return quants.row(id!)!;
}

const round6 = (v: number): number => Number(v.toFixed(6));

/**
 * stock.quant._update_reserved_quantity: reserve `qty` (or release it when negative) on the quants under the
 * location, oldest first; what can't be reserved stays unreserved (Odoo leaves the move partially available).
 * Returns the quantity reserved.
 */
export function reserveQuantity(env: Env, productId: number, locationId: number, qty: number): number {
  if (!isInternalLocation(env, locationId)) return qty; // non-internal locations bypass reservation
  let left = qty;
  const quants = quantsOf(env, productId, [locationId]);
  if (qty < 0) {
    for (const q of quants) {
      if (left >= 0) break;
      const take = Math.min(Number(q.reserved_quantity ?? 0), -left);
      q.reserved_quantity = round6(Number(q.reserved_quantity ?? 0) - take);
      left += take;
    }
    return qty - left;
  }
  for (const q of quants) {
    if (left <= 0) break;
    const free = Number(q.quantity ?? 0) - Number(q.reserved_quantity ?? 0);
    if (free <= 0) continue;
    const take = Math.min(free, left);
    q.reserved_quantity = round6(Number(q.reserved_quantity ?? 0) + take);
    left -= take;
  }
  return round6(qty - left);
}

/**
 * stock.quant._update_available_quantity for a done move: `qty` leaves (negative) or enters (positive) the
 * location. Leaving takes from the quants under it, oldest first, releasing `reserved` of their reservation;
 * what is missing goes negative on the location's own quant (Odoo 17 allows negative stock).
 */
export function updateQuantity(env: Env, productId: number, locationId: number, qty: number, reserved = 0): void {
  if (!isInternalLocation(env, locationId) || qty === 0) return;
  if (qty > 0) {
    const q = quantAt(env, productId, locationId);
    q.quantity = round6(Number(q.quantity ?? 0) + qty);
    q.in_date = env.now();
    return;
  }
  if (reserved > 0) reserveQuantity(env, productId, locationId, -reserved);
  let left = -qty;
  for (const q of quantsOf(env, productId, [locationId])) {
    if (left <= 0) break;
    const free = Number(q.quantity ?? 0) - Number(q.reserved_quantity ?? 0);
    if (free <= 0) continue;
    const take = Math.min(free, left);
    q.quantity = round6(Number(q.quantity ?? 0) - take);
    left = round6(left - take);
  }
  if (left > 0) {
    const q = quantAt(env, productId, locationId);
    q.quantity = round6(Number(q.quantity ?? 0) - left);
  }
}

export const stockQuant: ModelDef = {
  name: 'stock.quant',
  description: 'Quants',
  recName: 'product_id',
  fields: {
    product_id: { type: 'many2one', string: 'Product', relation: 'product.product', required: true, ondelete: 'restrict' },
    location_id: { type: 'many2one', string: 'Location', relation: 'stock.location', required: true, ondelete: 'restrict' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company' },
    quantity: { type: 'float', string: 'Quantity', readonly: true },
    reserved_quantity: { type: 'float', string: 'Reserved Quantity' },
    available_quantity: {
      type: 'float',
      string: 'Available Quantity',
      store: false,
      compute: (_env, row) => Number(row.quantity ?? 0) - Number(row.reserved_quantity ?? 0),
    },
    in_date: { type: 'datetime', string: 'Incoming Date', default: (env) => env.now() },
  },
  acl: { 'base.group_user': 'r', 'stock.group_stock_user': 'rwc' },
};
