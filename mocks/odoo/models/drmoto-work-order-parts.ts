/**
 * Parts request, issue and return on drmoto.work.order (docs/odoo-contract.md "Parts: issue and return through
 * stock pickings (issue 4)"). Each issue or return is ONE call that creates and validates ONE picking keyed by
 * (work order, request key), with the SHA-256 of its canonical lines:
 *   1. a picking of this work order with this key → same lines: returned with `replayed: true`, nothing changes;
 *      other lines (or the other kind) → DRM_DUP_KEY. A key used by another action of the work order → DRM_DUP_KEY.
 *   2. actor: keeper (or manager) for issue/return; technician, advisor (or manager) for a request.
 *   3. state: no issue on draft/closed/cancelled; a return there only while something is issued.
 *   4. quantities, all of them before anything is created: free_qty at the warehouse stock location
 *      (DRM_NO_STOCK, a UserError) / issued − returned (DRM_OVER_RETURN).
 *   5. picking created, confirmed, assigned, quantities set, validated (no backorder); ONE status-log row
 *      (parts_issued / parts_returned, the request key) and ONE audit row (stock_issue / stock_return).
 * Issue and return don't write the work order: its revision doesn't move (they take no revision either); the log
 * row records the current one. A request is a work-order action like the others: revision + 1.
 *
 * Concurrency: the addon locks the source quants (SELECT … FOR UPDATE after the key check); the mock runs one
 * execute_kw at a time in one transaction (OdooService.execute rolls the transaction back on any error), which gives the
 * same outcome — the second of two issues of the last units sees the first one's stock; an action is
 * all-or-nothing, quants included.
 */
import { createHash } from 'node:crypto';
import { UserError } from '../errors';
import type { Env } from '../orm/orm';
import type { MethodDef, Row } from '../orm/types';
import type { Actor } from './drmoto-actor';
import { act, checkActor, findLog, prepare, requestKey, stateError, writeLog } from './drmoto-work-order-actions';
import { ensurePart, partsOf, roundingDigits, roundQty, uomRounding } from './drmoto-work-order-part';
import { actionEnv, pyFloat, recordAudit, validationError, WO, actionWorkOrder } from './drmoto-wo-common';
import { productQuantities } from './product-product';
import { customerLocation } from './res-partner';
import { assignPicking, confirmPicking, MOVE, movesOf, PICKING, validatePicking } from './stock-picking';

type Result = Record<string, unknown>;

/** a request adds to qty_requested from check-in until the vehicle is ready */
const REQUEST_STATES = ['checkin', 'diagnosing', 'quoted', 'in_progress', 'ready'];
/** no issue on these; a return only while something is issued */
const NO_ISSUE_STATES = ['draft', 'closed', 'cancelled'];
const LINE_KEYS = new Set(['product_id', 'qty']);

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

interface Line {
  product_id: number;
  qty: number;
  product: Row;
  rounding: number;
  name: string;
}

/** a quantity for messages: the unit's precision, trailing zeros dropped (2.50 → 2.5, 3.00 → 3) */
export function qtyText(qty: number, rounding: number): string {
  const s = roundQty(qty, rounding).toFixed(roundingDigits(rounding));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/**
 * _drmoto_parts_lines: `[{product_id, qty > 0}]`, storable products of the shop, duplicates summed, rounded to
 * the product's unit, sorted by product id.
 */
function normalizeLines(env: Env, wo: Row, lines: unknown): Line[] {
  if (!Array.isArray(lines) || !lines.length) throw validationError('lines must be a non-empty list of {product_id, qty}');
  const products = env.model('product.product').sudo();
  const sums = new Map<number, { product: Row; qty: number }>();
  lines.forEach((raw, i) => {
    const index = i + 1;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw validationError(`line ${index} must be an object`);
    const line = raw as Record<string, unknown>;
    const unknown = Object.keys(line)
      .filter((k) => !LINE_KEYS.has(k))
      .sort();
    if (unknown.length) throw validationError(`line ${index}: unknown fields ${unknown.join(', ')}`);
    if (!isInt(line.product_id)) throw validationError(`line ${index}: product_id must be a product id`);
    const p = products.row(line.product_id);
    const product = p && p.active !== false && (p.company_id === null || p.company_id === wo.company_id) ? p : undefined;
    if (!product) throw validationError(`line ${index}: product ${line.product_id} does not exist in this shop`);
    if (product.type !== 'product') throw validationError(`line ${index}: ${products.displayName(product)} is not a storable product`);
    if ((product.tracking ?? 'none') !== 'none') throw validationError(`line ${index}: ${products.displayName(product)} is tracked by lots or serial numbers; move it in Inventory`);
    if (!isNumber(line.qty) || line.qty <= 0) throw validationError(`line ${index}: qty must be a number > 0`);
    const cur = sums.get(product.id) ?? { product, qty: 0 };
    cur.qty += line.qty;
    sums.set(product.id, cur);
  });
  return [...sums.values()]
    .sort((a, b) => a.product.id - b.product.id)
    .map(({ product, qty }) => {
      const rounding = uomRounding(env, product.uom_id as number);
      const name = products.displayName(product);
      const rounded = roundQty(qty, rounding);
      if (rounded <= 0) throw validationError(`the quantity of ${name} rounds to 0`);
      return { product_id: product.id, qty: rounded, product, rounding, name };
    });
}

/**
 * drmoto_lines_hash: SHA-256 hex of the canonical JSON of the lines sorted by product id, quantities as strings
 * with the unit's precision — Python: `json.dumps([{"product_id": id, "qty": float_repr(qty, digits)}, …],
 * sort_keys=True, separators=(",", ":"))`, e.g. `[{"product_id":3,"qty":"4.00"}]`.
 */
export function linesHash(lines: Array<{ product_id: number; qty: number; rounding: number }>): string {
  const canonical = `[${lines.map((l) => `{"product_id":${l.product_id},"qty":"${l.qty.toFixed(roundingDigits(l.rounding))}"}`).join(',')}]`;
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

const resultLines = (lines: Line[]) => lines.map((l) => ({ product_id: l.product_id, qty: l.qty }));
const storedLines = (lines: Line[]) => lines.map((l) => ({ product_id: l.product_id, qty: pyFloat(l.qty) }));
const describe = (lines: Line[]) => lines.map((l) => `${l.name} × ${qtyText(l.qty, l.rounding)}`).join(', ');

function netIssued(env: Env, woId: number): Map<number, number> {
  return new Map(partsOf(env, woId).map((p) => [p.product_id as number, Number(p.qty_net ?? 0)]));
}

// ------------------------------------------------------------------------------------------------ issue / return

type Kind = 'issue' | 'return';
const ACTION_OF: Record<Kind, string> = { issue: 'issue_parts', return: 'return_parts' };

function moveParts(env: Env, ids: number[], kind: Kind, keyValue: unknown, linesValue: unknown): Result {
  const action = ACTION_OF[kind];
  const wo = actionWorkOrder(env, ids);
  const key = requestKey(keyValue);
  const lines = normalizeLines(env, wo, linesValue);
  const hash = linesHash(lines);

  // 1. the key: a picking already posted with it, or another action that used it
  const pickings = env.model(PICKING).sudo();
  const posted = pickings.allRows().find((p) => p.drmoto_work_order_id === wo.id && p.drmoto_request_key === key);
  if (posted) {
    if (posted.drmoto_kind !== kind) {
      throw new UserError(`DRM_DUP_KEY: request key ${key} was used for '${ACTION_OF[posted.drmoto_kind as Kind] ?? String(posted.drmoto_kind)}' on work order ${String(wo.name)}, not for '${action}'`);
    }
    if (posted.drmoto_lines_hash !== hash) {
      throw new UserError(`DRM_DUP_KEY: request key ${key} already posted picking ${String(posted.name)} on work order ${String(wo.name)} with different lines`);
    }
    return { id: wo.id, picking_id: posted.id, picking_name: posted.name, state: posted.state, replayed: true, lines: resultLines(lines) };
  }
  const log = findLog(env, wo.id, key);
  if (log) throw new UserError(`DRM_DUP_KEY: request key ${key} was used for '${String(log.action)}' on work order ${String(wo.name)}, not for '${action}'`);

  // 2. actor, 3. state
  const actor = checkActor(env, action, wo);
  const state = String(wo.state);
  if (NO_ISSUE_STATES.includes(state)) {
    const issued = [...netIssued(env, wo.id).values()].some((n) => n > 0);
    if (kind === 'issue' || !issued) throw stateError(wo, action);
  }

  // 4. everything checked before anything is created
  const warehouse = env.model('stock.warehouse').sudo().row(wo.warehouse_id as number)!;
  const stockLocation = warehouse.lot_stock_id as number;
  const customer = customerLocation(env, wo.partner_id as number);
  if (customer === null) throw validationError(`customer ${String(wo.partner_id)} has no customer location`);
  // warehouse.out_type_id, and for returns its return type or warehouse.in_type_id
  const types = env.model('stock.picking.type').sudo();
  const typeRow = (id: unknown): Row | undefined => (typeof id === 'number' ? types.row(id) : undefined);
  const outType = typeRow(warehouse.out_type_id);
  const type = kind === 'issue' ? outType : (typeRow(outType?.return_picking_type_id) ?? typeRow(warehouse.in_type_id));
  if (!type) throw validationError(`warehouse ${String(warehouse.name)} has no ${kind === 'issue' ? 'delivery' : 'receipt'} operation type`);
  if (kind === 'issue') {
    // the addon: SELECT … FROM stock_quant WHERE product_id IN … AND location_id child_of stock FOR UPDATE
    for (const l of lines) {
      const available = productQuantities(env, l.product_id, [stockLocation]).free_qty;
      if (roundQty(available - l.qty, l.rounding) < 0) {
        throw new UserError(`DRM_NO_STOCK: not enough ${l.name}: available ${qtyText(available, l.rounding)}, requested ${qtyText(l.qty, l.rounding)}`);
      }
    }
  } else {
    const net = netIssued(env, wo.id);
    for (const l of lines) {
      const open = net.get(l.product_id) ?? 0;
      if (roundQty(l.qty - open, l.rounding) > 0) {
        throw new UserError(`DRM_OVER_RETURN: cannot return ${qtyText(l.qty, l.rounding)} ${l.name}: ${qtyText(Math.max(open, 0), l.rounding)} issued and not returned`);
      }
    }
  }

  // 5. one picking, validated; one log row; one audit row
  const aenv = actionEnv(env, key);
  const [pickingId] = aenv.model(PICKING).create([
    {
      picking_type_id: type.id,
      location_id: kind === 'issue' ? stockLocation : customer,
      location_dest_id: kind === 'issue' ? customer : stockLocation,
      partner_id: wo.partner_id,
      origin: wo.name,
      company_id: wo.company_id,
      user_id: actor.kind === 'staff' ? actor.uid : false,
      drmoto_work_order_id: wo.id,
      drmoto_request_key: key,
      drmoto_lines_hash: hash,
      drmoto_kind: kind,
      move_ids: lines.map((l) => [0, 0, { product_id: l.product_id, product_uom_qty: l.qty, product_uom: l.product.uom_id, name: l.name }]),
    },
  ]);
  confirmPicking(aenv, pickingId!);
  assignPicking(aenv, pickingId!);
  for (const m of movesOf(aenv, pickingId!)) {
    if (Number(m.quantity) !== Number(m.product_uom_qty)) aenv.model(MOVE).write([m.id], { quantity: m.product_uom_qty, state: 'assigned' });
  }
  validatePicking(aenv, pickingId!);
  const picking = pickings.row(pickingId!)!;
  const result: Result = { id: wo.id, picking_id: picking.id, picking_name: picking.name, state: picking.state, lines: resultLines(lines) };
  recordAudit(aenv, kind === 'issue' ? 'stock_issue' : 'stock_return', PICKING, picking.id, {
    after: { picking: picking.name, lines: storedLines(lines) },
    workOrderId: wo.id,
  });
  writeLog(
    env,
    wo,
    { event: kind === 'issue' ? 'parts_issued' : 'parts_returned', action, fromState: state, toState: state, actor, key, note: `${String(picking.name)}: ${describe(lines)}` },
    { ...result, lines: storedLines(lines) },
  );
  return { ...result, replayed: false };
}

// ------------------------------------------------------------------------------------------------ request

function requestParts(env: Env, ids: number[], keyValue: unknown, linesValue: unknown): Result {
  const p = prepare(env, ids, 'request_parts', false, keyValue, REQUEST_STATES);
  if (p.replay) {
    const { log_id: _logId, ...replay } = p.replay;
    return replay;
  }
  const { wo, key } = p;
  const actor: Actor = p.actor;
  const lines = normalizeLines(env, wo, linesValue);
  const aenv = actionEnv(env, key);
  const parts = aenv.model('drmoto.work.order.part');
  const requested = lines.map((l) => {
    const part = ensurePart(aenv, wo.id, l.product_id, 'request');
    const total = roundQty(Number(part.qty_requested ?? 0) + l.qty, l.rounding);
    parts.write([part.id], { qty_requested: total });
    return { product_id: l.product_id, qty_requested: total };
  });
  const result = { id: wo.id, revision: Number(wo.revision) + 1, parts: requested.map((r) => ({ product_id: r.product_id, qty_requested: pyFloat(r.qty_requested) })) };
  const done = act(env, wo, 'request_parts', actor, key, { event: 'parts_requested', note: describe(lines), result });
  return { id: done.id, revision: done.revision, replayed: false, parts: requested };
}

// ------------------------------------------------------------------------------------------------ registry

const params = [
  { name: 'request_key', default: false },
  { name: 'lines', default: false },
];

export const PARTS_ACTIONS: Record<string, MethodDef> = {
  action_request_parts: { api: 'records', params, fn: (env, [key, lines], ids) => requestParts(env, ids, key, lines) },
  action_issue_parts: { api: 'records', params, fn: (env, [key, lines], ids) => moveParts(env, ids, 'issue', key, lines) },
  action_return_parts: { api: 'records', params, fn: (env, [key, lines], ids) => moveParts(env, ids, 'return', key, lines) },
};
