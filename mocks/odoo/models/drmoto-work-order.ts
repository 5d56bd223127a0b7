/**
 * drmoto.work.order as odoo-addons/drmoto_workshop/models/drmoto_work_order.py: fields, sequence, revision,
 * stored amounts and the action methods (the actions themselves are in drmoto-work-order-actions.ts).
 */
import { UserError, ValidationError } from '../errors';
import type { Env } from '../orm/orm';
import type { MethodDef, ModelDef, Row } from '../orm/types';
import { forbidden, getActor } from './drmoto-actor';
import { amountDue, latestQuote, quotesOf } from './drmoto-work-order-amounts';
import { staffHasRole, WORK_ORDER_ACTIONS, writeLog } from './drmoto-work-order-actions';
import { PARTS_ACTIONS } from './drmoto-work-order-parts';
import { PAYMENT_ACTIONS } from './drmoto-work-order-payments';
import { MEDIA_ACTIONS, WORK_ORDER_MEDIA_FIELDS } from './drmoto-work-order-media';
import { isInternal, PART, QUOTE, QUOTE_STATES, STATUS_LOG, uiKey, validationError, WO, WO_STATES } from './drmoto-wo-common';
import { nextByCode } from './ir-sequence';
import { companyRule } from '../security';

/** whether the write in progress bumps the revision (beforeWrite → afterWrite) */
const bumpStack: boolean[] = [];

const money = (label: string) => ({ type: 'monetary' as const, string: label, readonly: true, currencyField: 'currency_id' });

export function firstWarehouse(env: Env, companyId: number | null): number | null {
  const whs = env.model('stock.warehouse').sudo();
  const rows = whs.sortRows(
    whs.allRows().filter((w) => w.company_id === companyId && w.active !== false),
    whs.def.order ?? 'id',
  );
  return rows[0]?.id ?? null;
}

function checkVehicleOwner(env: Env, rows: Row[]): void {
  const vehicles = env.model('drmoto.vehicle').sudo();
  const partners = env.model('res.partner').sudo();
  for (const wo of rows) {
    const v = wo.vehicle_id === null ? undefined : vehicles.row(wo.vehicle_id as number);
    if ((v?.partner_id ?? null) !== wo.partner_id) {
      const p = wo.partner_id === null ? undefined : partners.row(wo.partner_id as number);
      throw new ValidationError(`DRM_VALIDATION: vehicle ${pyStr(v?.name)} does not belong to ${pyStr(p?.name)}`);
    }
  }
}

/** the fields only the actions change (ACTION_FIELDS) */
const ACTION_FIELDS = ['state', 'open_request_key', 'cancel_reason', 'closed_at', 'delivered_at', 'amount_paid', 'amount_refunded', 'amount_invoiced', 'amount_credited'];
/** writes that are not business changes and don't move the revision */
const NO_BUMP_FIELDS = new Set(['message_main_attachment_id']);

/** _drmoto_check_generic_actor: generic create/write for someone else: only staff advisors */
function checkGenericActor(env: Env, what: string): void {
  if (env.su || !env.context.drmoto_actor || isInternal(env)) return;
  const actor = getActor(env);
  if (actor.kind !== 'staff') throw forbidden(`a ${actor.kind} may not ${what} work orders directly`);
  if (!staffHasRole(env, actor.uid, ['advisor', 'manager'])) throw forbidden(`staff user ${actor.uid} may not ${what} work orders`);
}

function checkProtected(env: Env, vals: Record<string, unknown>): void {
  if ('revision' in vals) throw validationError('the revision is maintained by the work order');
  const protectedKeys = ACTION_FIELDS.filter((k) => k in vals).sort();
  if (protectedKeys.length && !isInternal(env)) throw validationError(`${protectedKeys.join(', ')} change only through the work order's actions`);
}

const pyStr = (v: unknown): string => (v === null || v === undefined || v === false ? 'False' : String(v));

export const drmotoWorkOrder: ModelDef = {
  name: WO,
  description: 'Work order',
  order: 'id desc',
  recNamesSearch: ['name'],
  fields: {
    name: { type: 'char', string: 'Reference', required: true, readonly: true, index: true, default: '/' },
    // default: the vehicle's shop, else the current company (set in beforeCreate, as the addon's create() does)
    company_id: { type: 'many2one', string: 'Shop', relation: 'res.company', required: true, index: true },
    warehouse_id: { type: 'many2one', string: 'Warehouse', relation: 'stock.warehouse', required: true },
    partner_id: { type: 'many2one', string: 'Customer', relation: 'res.partner', required: true, index: true, ondelete: 'restrict' },
    vehicle_id: { type: 'many2one', string: 'Vehicle', relation: 'drmoto.vehicle', required: true, index: true, ondelete: 'restrict' },
    symptom: { type: 'text', string: 'Symptom' },
    diagnosis: { type: 'text', string: 'Diagnosis' },
    plate_normalized: {
      type: 'char',
      string: 'Plate',
      store: false,
      compute: (env, row) => (env.model('drmoto.vehicle').sudo().row(row.vehicle_id as number)?.plate_normalized as string | undefined) ?? null,
    },
    advisor_id: { type: 'many2one', string: 'Service advisor', relation: 'res.users', index: true, ondelete: 'restrict', default: (env) => env.uid },
    technician_id: { type: 'many2one', string: 'Technician', relation: 'res.users', index: true, ondelete: 'restrict' },
    odometer_in: { type: 'integer', string: 'Odometer in (km)' },
    odometer_out: { type: 'integer', string: 'Odometer out (km)' },
    promised_date: { type: 'datetime', string: 'Promised for' },
    state: { type: 'selection', string: 'Status', selection: WO_STATES, required: true, default: 'draft', readonly: true, index: true },
    revision: { type: 'integer', string: 'Revision', readonly: true, default: 1, help: 'Incremented on every write; the ETag of the BFF.' },
    open_request_key: { type: 'char', string: 'Opening request key', readonly: true },
    currency_id: {
      type: 'many2one',
      string: 'Currency',
      relation: 'res.currency',
      store: false,
      compute: (env, row) => (env.model('res.company').sudo().row(row.company_id as number)?.currency_id as number | undefined) ?? null,
    },
    quote_ids: { type: 'one2many', string: 'Quote versions', relation: QUOTE, inverseName: 'work_order_id' },
    quote_count: { type: 'integer', string: 'Quote Count', store: false, compute: (env, row) => quotesOf(env, row.id).length },
    current_quote_id: {
      type: 'many2one',
      string: 'Latest quote',
      relation: QUOTE,
      store: false,
      compute: (env, row) => latestQuote(env, row.id)?.id ?? null,
    },
    current_quote_state: {
      type: 'selection',
      string: 'Latest quote status',
      selection: QUOTE_STATES,
      store: false,
      compute: (env, row) => (latestQuote(env, row.id)?.state as string | undefined) ?? null,
    },
    confirmed_quote_id: { type: 'many2one', string: 'Confirmed quote', relation: QUOTE, readonly: true, help: 'The highest confirmed version: what the customer owes.' },
    amount_untaxed: money('Untaxed amount'),
    amount_tax: money('Taxes'),
    amount_total: money('Total'),
    // issue 5: stored computes of the work order's posted payments (drmoto-work-order-invoicing.ts recomputeMoney)
    amount_paid: { type: 'monetary', string: 'Paid', readonly: true, currencyField: 'currency_id', default: 0, help: 'Net registered payments (payments less refunds).' },
    amount_refunded: { type: 'monetary', string: 'Refunded', readonly: true, currencyField: 'currency_id', default: 0, help: 'Refunds registered on the work order (outbound payments).' },
    amount_credited: { type: 'monetary', string: 'Credited by refunds', readonly: true, currencyField: 'currency_id', default: 0, help: 'Posted refund credit notes: the part of refunds that lowered the price.' },
    amount_due: money('Due'),
    // stored compute of the posted moves (account-move.ts recomputeMove): posting one updates this row, so two
    // concurrent syncs of one work order serialize (the loser is retried and finds nothing to do)
    amount_invoiced: { type: 'monetary', string: 'Invoiced', readonly: true, currencyField: 'currency_id', default: 0, help: 'Posted customer invoices less posted credit notes.' },
    invoice_ids: { type: 'one2many', string: 'Invoices', relation: 'account.move', inverseName: 'drmoto_work_order_id', readonly: true },
    invoice_count: {
      type: 'integer',
      string: 'Invoice Count',
      store: false,
      compute: (env, row) => env.model('account.move').sudo().allRows().filter((m) => m.drmoto_work_order_id === row.id).length,
    },
    payment_ids: { type: 'one2many', string: 'Payments', relation: 'account.payment', inverseName: 'drmoto_work_order_id', readonly: true },
    payment_count: {
      type: 'integer',
      string: 'Payment Count',
      store: false,
      compute: (env, row) => env.model('account.payment').sudo().allRows().filter((p) => p.drmoto_work_order_id === row.id).length,
    },
    part_ids: { type: 'one2many', string: 'Parts', relation: PART, inverseName: 'work_order_id' },
    picking_ids: { type: 'one2many', string: 'Transfers', relation: 'stock.picking', inverseName: 'drmoto_work_order_id', readonly: true },
    picking_count: {
      type: 'integer',
      string: 'Transfers',
      store: false,
      compute: (env, row) => env.model('stock.picking').sudo().allRows().filter((p) => p.drmoto_work_order_id === row.id).length,
    },
    status_log_ids: { type: 'one2many', string: 'Status log', relation: STATUS_LOG, inverseName: 'work_order_id' },
    cancel_reason: { type: 'text', string: 'Cancel reason', readonly: true },
    delivered_at: { type: 'datetime', string: 'Delivered at', readonly: true },
    closed_at: { type: 'datetime', string: 'Closed at', readonly: true },
    // issue 6 (drmoto-work-order-media.ts)
    ...WORK_ORDER_MEDIA_FIELDS,
  },
  computes: [{ fields: ['amount_due'], depends: ['amount_total', 'amount_paid', 'amount_credited'], compute: (env, row) => ({ amount_due: amountDue(env, row) }) }],
  sqlConstraints: [
    {
      name: 'open_request_key_company_uniq',
      unique: ['company_id', 'open_request_key'],
      message: 'DRM_DUP_KEY: this request key already opened a work order in this shop',
    },
    { name: 'odometer_in_positive', unique: [], checkFields: ['odometer_in'], check: (r) => Number(r.odometer_in ?? 0) >= 0, message: "DRM_VALIDATION: the odometer can't be negative" },
    { name: 'odometer_out_positive', unique: [], checkFields: ['odometer_out'], check: (r) => Number(r.odometer_out ?? 0) >= 0, message: "DRM_VALIDATION: the odometer can't be negative" },
  ],
  constraints: [{ fields: ['partner_id', 'vehicle_id'], check: checkVehicleOwner }],
  hooks: {
    preCreate: (env, vals) => {
      checkGenericActor(env, 'create');
      checkProtected(env, vals);
      const vehicle = typeof vals.vehicle_id === 'number' ? env.model('drmoto.vehicle').sudo().row(vals.vehicle_id) : undefined;
      // before the defaults in the addon (its create() override runs before super's defaults): the vehicle's shop
      if (!vals.company_id) vals.company_id = (vehicle?.company_id as number | undefined) ?? env.companyId();
      const companyId = vals.company_id as number;
      if (!vals.warehouse_id) {
        vals.warehouse_id = firstWarehouse(env, companyId) ?? false;
        if (!vals.warehouse_id) throw validationError(`the shop ${String(env.model('res.company').sudo().row(companyId)?.name ?? '')} has no warehouse`);
      }
      if (!vals.name || vals.name === '/') vals.name = nextByCode(env, 'drmoto.work.order', companyId) || '/';
    },
    afterCreate: (env, rows) => {
      if (env.context.drmoto_skip_open_log) return;
      // created in the web UI: the timeline starts with an 'open' row too
      const actor = getActor(env);
      for (const wo of rows) {
        writeLog(env, wo, { event: 'open', action: 'open', fromState: null, toState: String(wo.state), actor, key: uiKey(), note: false }, { id: wo.id, name: wo.name, state: wo.state, revision: wo.revision });
      }
    },
    preWrite: (env, _rows, vals) => {
      checkProtected(env, vals);
      checkGenericActor(env, 'change');
    },
    beforeWrite: (env, _rows, vals) => {
      const keys = Object.keys(vals);
      bumpStack.push(!((keys.length === 0 && !isInternal(env)) || (keys.length > 0 && keys.every((k) => NO_BUMP_FIELDS.has(k)))));
    },
    afterWrite: (_env, rows) => {
      // +1 per write, whoever writes (UI edits count too): each record gets its own value
      if (bumpStack.pop()) for (const wo of rows) wo.revision = Number(wo.revision ?? 0) + 1;
    },
    beforeUnlink: (env, rows) => {
      const logs = env.model(STATUS_LOG).sudo().allRows();
      for (const wo of rows) {
        if (wo.state !== 'draft' || logs.some((l) => l.work_order_id === wo.id) || quotesOf(env, wo.id).length) {
          throw new UserError(`DRM_WO_STATE: work order ${String(wo.name)} has a history and can't be deleted; cancel it instead`);
        }
      }
    },
  },
  methods: Object.fromEntries(Object.entries({ ...WORK_ORDER_ACTIONS, ...PARTS_ACTIONS, ...PAYMENT_ACTIONS, ...MEDIA_ACTIONS }).map(([k, v]) => [k, v as MethodDef])),
  acl: {
    'drmoto_workshop.group_drmoto_user': 'r',
    'drmoto_workshop.group_drmoto_advisor': 'rwc',
    'drmoto_workshop.group_drmoto_manager': 'rwc',
  },
  rules: [
    companyRule('Work order: multi-company'),
  ],
};

