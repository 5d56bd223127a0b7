/**
 * stock.picking and stock.move (stock/models/stock_picking.py, stock_move.py), as much of them as the workshop
 * uses: a picking is created in draft with its moves, confirmed, assigned (reserved at an internal source),
 * and validated (done: the quants of internal locations move, no backorder). No move lines, lots or packages.
 * drmoto_workshop inherits stock.picking with the work order, the request key and the lines hash.
 */
import { UserError } from '../errors';
import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';
import { convertUom, recomputeParts } from './drmoto-work-order-part';
import { internalEnv, isInternal, validationError, WO } from './drmoto-wo-common';
import { nextBySequence } from './ir-sequence';
import { PICKING_TYPE_CODES } from './stock-picking-type';
import { reserveQuantity, updateQuantity } from './stock-quant';

export const PICKING = 'stock.picking';
export const MOVE = 'stock.move';

export const PICKING_STATES: Array<[string, string]> = [
  ['draft', 'Draft'],
  ['waiting', 'Waiting Another Operation'],
  ['confirmed', 'Waiting'],
  ['assigned', 'Ready'],
  ['done', 'Done'],
  ['cancel', 'Cancelled'],
];
export const MOVE_STATES: Array<[string, string]> = [
  ['draft', 'New'],
  ['waiting', 'Waiting Another Move'],
  ['confirmed', 'Waiting Availability'],
  ['partially_available', 'Partially Available'],
  ['assigned', 'Available'],
  ['done', 'Done'],
  ['cancel', 'Cancelled'],
];
export const DRMOTO_KINDS: Array<[string, string]> = [
  ['issue', 'Parts issue'],
  ['return', 'Parts return'],
];

const qty = (label: string) => ({ type: 'float' as const, string: label, digits: [16, 2] as [number, number], default: 0 });

export function movesOf(env: Env, pickingId: number): Row[] {
  const moves = env.model(MOVE).sudo();
  return moves.sortRows(
    moves.allRows().filter((m) => m.picking_id === pickingId),
    moves.def.order ?? 'id',
  );
}

/** stock.picking._compute_state from its moves */
function pickingState(moves: Row[]): string {
  if (!moves.length) return 'draft';
  if (moves.some((m) => m.state === 'draft')) return 'draft';
  if (moves.every((m) => m.state === 'cancel')) return 'cancel';
  if (moves.every((m) => m.state === 'cancel' || m.state === 'done')) return 'done';
  const open = moves.filter((m) => m.state !== 'cancel' && m.state !== 'done');
  if (open.every((m) => m.state === 'assigned')) return 'assigned';
  return 'confirmed';
}

function syncPickingState(env: Env, pickingId: number, extra: Record<string, unknown> = {}): void {
  internalEnv(env)
    .model(PICKING)
    .write([pickingId], { state: pickingState(movesOf(env, pickingId)), ...extra });
}

/** action_confirm: draft moves → confirmed */
export function confirmPicking(env: Env, pickingId: number): void {
  const moves = movesOf(env, pickingId).filter((m) => m.state === 'draft');
  if (moves.length) internalEnv(env).model(MOVE).write(moves.map((m) => m.id), { state: 'confirmed' });
  syncPickingState(env, pickingId);
}

const productUom = (env: Env, productId: number): number => env.model('product.product').sudo().row(productId)?.uom_id as number;

/** action_assign: reserve at an internal source (a customer/vendor source bypasses reservation) */
export function assignPicking(env: Env, pickingId: number): void {
  for (const m of movesOf(env, pickingId)) {
    if (m.state !== 'confirmed' && m.state !== 'partially_available') continue;
    const pUom = productUom(env, m.product_id as number);
    const missing = convertUom(env, Number(m.product_uom_qty) - Number(m.quantity ?? 0), m.product_uom as number, pUom);
    const got = reserveQuantity(env, m.product_id as number, m.location_id as number, missing);
    const quantity = Number(m.quantity ?? 0) + convertUom(env, got, pUom, m.product_uom as number);
    const state = quantity >= Number(m.product_uom_qty) - 1e-9 ? 'assigned' : quantity > 0 ? 'partially_available' : 'confirmed';
    internalEnv(env).model(MOVE).write([m.id], { quantity, state });
  }
  syncPickingState(env, pickingId);
}

/**
 * button_validate with every quantity set and no backorder (_action_done): the moves' quantities leave the
 * source and enter the destination (internal locations only), moves and picking are done.
 */
export function validatePicking(env: Env, pickingId: number): void {
  const now = env.now();
  for (const m of movesOf(env, pickingId)) {
    if (m.state === 'done' || m.state === 'cancel') continue;
    const done = Number(m.quantity ?? 0);
    if (done <= 0) {
      internalEnv(env).model(MOVE).write([m.id], { state: 'cancel' });
      continue;
    }
    const pUom = productUom(env, m.product_id as number);
    const q = convertUom(env, done, m.product_uom as number, pUom);
    updateQuantity(env, m.product_id as number, m.location_id as number, -q, q);
    updateQuantity(env, m.product_id as number, m.location_dest_id as number, q);
    internalEnv(env).model(MOVE).write([m.id], { state: 'done', picked: true, date: now });
  }
  syncPickingState(env, pickingId, { date_done: now });
}

/** fields of a done work-order picking / move that only the actions set */
const PICKING_GUARDED = ['state', 'date_done', 'location_id', 'location_dest_id', 'picking_type_id', 'move_ids', 'drmoto_work_order_id', 'drmoto_request_key', 'drmoto_lines_hash', 'drmoto_kind'];
const MOVE_GUARDED = ['state', 'quantity', 'product_uom_qty', 'product_id', 'product_uom', 'location_id', 'location_dest_id', 'picking_id'];

function guardWrite(env: Env, rows: Row[], vals: Record<string, unknown>, guarded: string[], woOf: (r: Row) => unknown): void {
  if (isInternal(env)) return;
  const keys = Object.keys(vals).filter((k) => guarded.includes(k)).sort();
  if (keys.length && rows.some((r) => woOf(r) !== null && woOf(r) !== undefined)) {
    throw validationError(`${keys.join(', ')} of a work order's transfer change only through the work order's actions`);
  }
}

const DONE_UNLINK = 'You can not delete product moves if the picking is done. You can only correct the done quantities.';

export const stockPicking: ModelDef = {
  name: PICKING,
  description: 'Transfer',
  order: 'scheduled_date asc, id desc',
  fields: {
    name: { type: 'char', string: 'Reference', default: '/', readonly: true, index: true },
    origin: { type: 'char', string: 'Source Document', index: true },
    note: { type: 'text', string: 'Notes' },
    picking_type_id: { type: 'many2one', string: 'Operation Type', relation: 'stock.picking.type', required: true, index: true },
    picking_type_code: {
      type: 'selection',
      string: 'Type of Operation',
      selection: PICKING_TYPE_CODES,
      store: false,
      compute: (env, row) => (env.model('stock.picking.type').sudo().row(row.picking_type_id as number)?.code as string | undefined) ?? null,
    },
    location_id: { type: 'many2one', string: 'Source Location', relation: 'stock.location', required: true, index: true },
    location_dest_id: { type: 'many2one', string: 'Destination Location', relation: 'stock.location', required: true, index: true },
    partner_id: { type: 'many2one', string: 'Contact', relation: 'res.partner' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', index: true },
    user_id: { type: 'many2one', string: 'Responsible', relation: 'res.users', default: (env) => env.uid },
    state: { type: 'selection', string: 'Status', selection: PICKING_STATES, default: 'draft', readonly: true, index: true },
    scheduled_date: { type: 'datetime', string: 'Scheduled Date', default: (env) => env.now(), index: true },
    date_done: { type: 'datetime', string: 'Date of Transfer', readonly: true },
    move_ids: { type: 'one2many', string: 'Stock Moves', relation: MOVE, inverseName: 'picking_id' },
    // drmoto_workshop
    drmoto_work_order_id: { type: 'many2one', string: 'Work order', relation: WO, index: true, ondelete: 'restrict', readonly: true },
    drmoto_request_key: { type: 'char', string: 'Request key', readonly: true },
    drmoto_lines_hash: { type: 'char', string: 'Lines hash', readonly: true, help: 'SHA-256 of the canonical JSON of the requested lines.' },
    drmoto_kind: { type: 'selection', string: 'Workshop operation', selection: DRMOTO_KINDS, readonly: true },
  },
  sqlConstraints: [
    { name: 'name_uniq', unique: ['name', 'company_id'], message: 'Reference must be unique per company!' },
    {
      name: 'drmoto_wo_key_uniq',
      unique: ['drmoto_work_order_id', 'drmoto_request_key'],
      message: 'DRM_DUP_KEY: this request key already posted a picking on this work order',
    },
  ],
  hooks: {
    preCreate: (env, vals) => {
      const type = typeof vals.picking_type_id === 'number' ? env.model('stock.picking.type').sudo().row(vals.picking_type_id) : undefined;
      if (!type) return;
      if (!vals.location_id && type.default_location_src_id !== null) vals.location_id = type.default_location_src_id;
      if (!vals.location_dest_id && type.default_location_dest_id !== null) vals.location_dest_id = type.default_location_dest_id;
      if (!vals.company_id) vals.company_id = type.company_id;
      if (!vals.name || vals.name === '/') vals.name = nextBySequence(env, type.sequence_id as number | null) || '/';
    },
    preWrite: (env, rows, vals) => guardWrite(env, rows, vals, PICKING_GUARDED, (r) => r.drmoto_work_order_id),
    preUnlink: (env, rows) => {
      guardWrite(env, rows, { unlink: true }, ['unlink'], (r) => r.drmoto_work_order_id);
      if (rows.some((r) => r.state === 'done')) throw new UserError(DONE_UNLINK);
    },
  },
  acl: {
    'drmoto_workshop.group_drmoto_user': 'r',
    'stock.group_stock_user': 'rwcu',
  },
  rules: [
    {
      name: 'stock_picking multi-company',
      perms: ['read', 'write', 'create', 'unlink'],
      domain: (env) => ['|', ['company_id', '=', false], ['company_id', 'in', env.companyIds()]],
    },
  ],
};

const pickingOf = (env: Env, row: Row | Record<string, unknown>): Row | undefined =>
  typeof row.picking_id === 'number' ? env.model(PICKING).sudo().row(row.picking_id) : undefined;

/** the work orders whose parts a change of these moves touches */
const woIdsOf = (rows: Row[]): number[] => rows.map((r) => r.drmoto_work_order_id).filter((w): w is number => typeof w === 'number');

export const stockMove: ModelDef = {
  name: MOVE,
  description: 'Stock Move',
  order: 'sequence, id',
  fields: {
    name: { type: 'char', string: 'Description', required: true },
    sequence: { type: 'integer', string: 'Sequence', default: 10 },
    reference: { type: 'char', string: 'Reference', readonly: true },
    origin: { type: 'char', string: 'Source Document' },
    product_id: { type: 'many2one', string: 'Product', relation: 'product.product', required: true, index: true },
    product_uom_qty: { ...qty('Demand'), required: true },
    quantity: { ...qty('Quantity') },
    product_uom: { type: 'many2one', string: 'UoM', relation: 'uom.uom', required: true },
    picked: { type: 'boolean', string: 'Picked' },
    location_id: { type: 'many2one', string: 'Source Location', relation: 'stock.location', required: true, index: true },
    location_dest_id: { type: 'many2one', string: 'Destination Location', relation: 'stock.location', required: true, index: true },
    partner_id: { type: 'many2one', string: 'Destination Address', relation: 'res.partner' },
    picking_id: { type: 'many2one', string: 'Transfer', relation: PICKING, index: true, ondelete: 'cascade' },
    picking_type_id: { type: 'many2one', string: 'Operation Type', relation: 'stock.picking.type' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', index: true },
    state: { type: 'selection', string: 'Status', selection: MOVE_STATES, default: 'draft', readonly: true, index: true },
    date: { type: 'datetime', string: 'Date Scheduled', default: (env) => env.now(), index: true },
    // drmoto_workshop: related picking_id.drmoto_work_order_id, stored (the parts and the consumption report read it)
    drmoto_work_order_id: { type: 'many2one', string: 'Work order', relation: WO, readonly: true, index: true },
  },
  computes: [
    {
      fields: ['reference', 'drmoto_work_order_id'],
      depends: ['picking_id', 'name'],
      compute: (env, row) => {
        const p = pickingOf(env, row);
        return { reference: p ? (p.name as string) : (row.name as string), drmoto_work_order_id: p ? (p.drmoto_work_order_id as number | null) : null };
      },
    },
  ],
  hooks: {
    preCreate: (env, vals) => {
      const p = pickingOf(env, vals);
      const product = typeof vals.product_id === 'number' ? env.model('product.product').sudo().row(vals.product_id) : undefined;
      if (!vals.product_uom && product) vals.product_uom = product.uom_id;
      if (!vals.name && product) vals.name = env.model('product.product').sudo().displayName(product);
      if (!p) return;
      for (const [k, from] of [
        ['location_id', 'location_id'],
        ['location_dest_id', 'location_dest_id'],
        ['picking_type_id', 'picking_type_id'],
        ['company_id', 'company_id'],
        ['partner_id', 'partner_id'],
        ['origin', 'origin'],
      ] as const) {
        if (!vals[k] && p[from] !== null) vals[k] = p[from];
      }
    },
    afterCreate: (env, rows) => recomputeParts(env, woIdsOf(rows)),
    preWrite: (env, rows, vals) => guardWrite(env, rows, vals, MOVE_GUARDED, (r) => r.drmoto_work_order_id),
    afterWrite: (env, rows) => recomputeParts(env, woIdsOf(rows)),
    preUnlink: (_env, rows) => {
      if (rows.some((r) => r.state === 'done')) throw new UserError(DONE_UNLINK);
    },
    afterUnlink: (env, rows) => recomputeParts(env, woIdsOf(rows)),
  },
  acl: {
    'drmoto_workshop.group_drmoto_user': 'r',
    'stock.group_stock_user': 'rwcu',
  },
  rules: [
    {
      name: 'stock_move multi-company',
      perms: ['read', 'write', 'create', 'unlink'],
      domain: (env) => ['|', ['company_id', '=', false], ['company_id', 'in', env.companyIds()]],
    },
  ],
};
