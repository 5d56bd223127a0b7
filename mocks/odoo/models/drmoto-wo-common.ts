/**
 * Shared pieces of the work-order models (odoo-addons/drmoto_workshop/models/drmoto_work_order*.py):
 * states, the internal-write token, status-log and audit rows, money formatting.
 */
import { randomUUID } from 'node:crypto';
import { MissingError, UserError } from '../errors';
import type { Env } from '../orm/orm';
import type { Raw, Row } from '../orm/types';
import { type Actor, getActor } from './drmoto-actor';

export const WO = 'drmoto.work.order';
export const QUOTE = 'drmoto.work.order.quote';
export const QUOTE_LINE = 'drmoto.work.order.quote.line';
export const PART = 'drmoto.work.order.part';
export const STATUS_LOG = 'drmoto.wo.status.log';
export const AUDIT = 'drmoto.audit.log';

export const WO_STATES: Array<[string, string]> = [
  ['draft', 'Draft'],
  ['checkin', 'Checked in'],
  ['diagnosing', 'Diagnosing'],
  ['quoted', 'Quoted'],
  ['in_progress', 'In progress'],
  ['ready', 'Ready'],
  ['delivered', 'Delivered'],
  ['closed', 'Closed'],
  ['cancelled', 'Cancelled'],
];
export const QUOTE_STATES: Array<[string, string]> = [
  ['draft', 'Draft'],
  ['sent', 'Sent'],
  ['confirmed', 'Confirmed'],
  ['rejected', 'Rejected'],
  ['superseded', 'Superseded'],
];
export const LOG_EVENTS: Array<[string, string]> = [
  ['open', 'Opened'],
  ['transition', 'Transition'],
  ['diagnosis', 'Diagnosis'],
  ['quote_created', 'Quote created'],
  ['quote_sent', 'Quote sent'],
  ['quote_confirmed', 'Quote confirmed'],
  ['quote_rejected', 'Quote rejected'],
  ['cancel', 'Cancelled'],
  ['parts_requested', 'Parts requested'],
  ['parts_issued', 'Parts issued'],
  ['parts_returned', 'Parts returned'],
  ['invoices_synced', 'Invoices synced'],
  ['payment_registered', 'Payment registered'],
  ['refund_registered', 'Refund registered'],
];
export const AUDIT_ACTIONS: Array<[string, string]> = [
  ['price_override', 'Price override'],
  ['discount', 'Discount'],
  ['cancel', 'Cancel'],
  ['manager_override', 'Manager override'],
  ['quote_on_behalf', "Quote decided on the customer's behalf"],
  ['stock_issue', 'Parts issued'],
  ['stock_return', 'Parts returned'],
  ['payment', 'Payment registered'],
  ['refund', 'Refund registered'],
];
export const ACTOR_KINDS: Array<[string, string]> = [
  ['staff', 'Staff'],
  ['customer', 'Customer'],
  ['system', 'System'],
];

/**
 * The addon's action methods write with `sudo().with_context(drmoto_wo_action=True)` (and
 * `drmoto_quote_action=True` on quotes): the guarded fields (state, amount_paid…, a quote's state fields)
 * change only on that path. The mock marks that path with an object no RPC payload can carry, so a caller
 * can't unlock the guards by putting the flag in `kwargs.context` (in the addon a caller can: see the report).
 */
export const INTERNAL_KEY = '__drmoto_internal__';
export const INTERNAL_TOKEN: object = Object.freeze({ drmoto: 'internal' });
export const isInternal = (env: Env): boolean => env.context[INTERNAL_KEY] === INTERNAL_TOKEN;
export const internalEnv = (env: Env): Env => env.sudo().withContext({ [INTERNAL_KEY]: INTERNAL_TOKEN });
/** `_drmoto_env(key)`: sudo, the action flag, and the request key the audit rows record */
export const actionEnv = (env: Env, key: string): Env => internalEnv(env).withContext({ drmoto_request_key: key });

/** a generated request key for calls without one (the web UI's buttons) */
export const uiKey = (): string => `ui-${randomUUID()}`;

export function actorFields(actor: Actor): Record<string, Raw> {
  return {
    actor_kind: actor.kind,
    actor_user_id: actor.kind === 'staff' ? actor.uid : null,
    actor_partner_id: actor.kind === 'customer' ? actor.partner_id : null,
  };
}


/** a Python float in a JSON payload (json.dumps prints 180.0 where JavaScript would print 180) */
export class PyFloat {
  constructor(readonly value: number) {}
}
export const pyFloat = (v: unknown): PyFloat => new PyFloat(Number(v ?? 0));

/** json.dumps(value, sort_keys=True): Python's separators and ASCII escapes (read back with JSON.parse) */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (value instanceof PyFloat) return Number.isInteger(value.value) && Math.abs(value.value) < 1e16 ? `${value.value}.0` : String(value.value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NaN';
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${pyJson(k)}: ${pyJson(obj[k])}`)
    .join(', ')}}`;
}

/**
 * drmoto.audit.log._drmoto_record(action, record, before, after, note, work_order): one row, as the acting
 * principal of `env`, with the request key and trace id of its context.
 */
export function recordAudit(
  env: Env,
  action: string,
  resModel: string,
  resId: number,
  opts: { before?: unknown; after?: unknown; note?: unknown; workOrderId?: number | null } = {},
): number {
  const actor = getActor(env);
  const woId = opts.workOrderId ?? (resModel === WO ? resId : null);
  const wo = woId ? env.model(WO).sudo().row(woId) : undefined;
  const [id] = internalEnv(env)
    .model(AUDIT)
    .create([
      {
        action,
        res_model: resModel,
        res_id: resId,
        work_order_id: wo ? wo.id : false,
        company_id: (wo?.company_id as number | undefined) ?? env.companyId() ?? false,
        user_id: env.uid,
        ...actorFields(actor),
        before: opts.before === undefined ? false : pyJson(opts.before),
        after: opts.after === undefined ? false : pyJson(opts.after),
        note: opts.note || false,
        trace_id: contextStr(env, 'drmoto_trace_id'),
        request_key: contextStr(env, 'drmoto_request_key'),
      },
    ]);
  return id!;
}

/** `str(value)[:255] if value else False` */
export function contextStr(env: Env, key: string): string | false {
  const v = env.context[key];
  return v ? String(v).slice(0, 255) : false;
}

/** formatLang-ish money for messages: 2 decimals for CNY, the currency's decimal places otherwise */
export function money(env: Env, amount: number, currencyId: number | null): string {
  const cur = currencyId ? env.model('res.currency').sudo().row(currencyId) : undefined;
  const rounding = cur ? Number(cur.rounding) : 0.01;
  const digits = rounding > 0 && rounding < 1 ? Math.ceil(Math.log10(1 / rounding)) : 0;
  return `${amount.toFixed(digits)}${cur ? ` ${String(cur.name)}` : ''}`;
}

export const stateOf = (row: Row): string => String(row.state ?? '');

export function validationError(message: string): UserError {
  return new UserError(`DRM_VALIDATION: ${message}`);
}

/** An action's work order: exactly one id, existing, and readable by the caller (else the error Odoo's action raises). */
export function actionWorkOrder(env: Env, ids: number[]): Row {
  if (ids.length !== 1) throw validationError('an action runs on exactly one work order');
  const model = env.model(WO);
  const wo = model.row(ids[0]!);
  if (!wo) throw new MissingError(`DRM_NOT_FOUND: work order ${ids[0]} does not exist`);
  model.checkAccessRights('read');
  model.checkAccessRule([wo.id], 'read');
  return wo;
}

/**
 * The addon's guard on journal entries and payments (account_move.py / account_payment.py `_drmoto_guard`): a record
 * linked to a work order changes only through the work order's actions; a posted one not at all (Odoo's own rule,
 * with `postedMessage`). The actions themselves run internally and pass.
 */
export function guardAccountRecords(env: Env, rows: Row[], what: string, postedMessage: string): void {
  if (isInternal(env)) return;
  const linked = rows.find((r) => r.drmoto_work_order_id !== null);
  if (linked) throw validationError(`${String(linked.name)} belongs to a work order: its ${what} change only through the work order's actions`);
  if (rows.some((r) => r.state === 'posted')) throw new UserError(postedMessage);
}
