/**
 * The action methods of drmoto.work.order, as odoo-addons/drmoto_workshop/models/drmoto_work_order.py
 * (docs/odoo-contract.md "Work orders, quotes, status log, audit"). Every action runs the same checks in the
 * same order: request-key replay → actor → revision → state → act (ONE write of the work order = revision + 1,
 * ONE status-log row that keeps the key and the result).
 *
 * Concurrency: the mock runs one execute_kw at a time, each in one transaction (OdooService.execute rolls back
 * on any error — mocks/odoo/orm/journal.ts), so an action is all-or-nothing and two actions on one work order serialize: the
 * second sees the first's revision (DRM_STALE) or its log row (a replay) — what Odoo's row lock, serialization
 * failure and retry give on PostgreSQL.
 */
import { MissingError, UserError } from '../errors';
import type { Env } from '../orm/orm';
import type { MethodDef, Row } from '../orm/types';
import { type Actor, forbidden, getActor, ROLE_GROUPS, type Role } from './drmoto-actor';
import { amountDue, latestQuote, confirmedQuote, quotesOf } from './drmoto-work-order-amounts';
import { partsOf, planParts, roundQty, uomRounding } from './drmoto-work-order-part';
import { actionEnv, actorFields, contextStr, money, pyFloat, pyJson, QUOTE, recordAudit, STATUS_LOG, uiKey, validationError, WO, actionWorkOrder } from './drmoto-wo-common';
import { floatRound } from './account-tax';
import { amountInvoiced, invoicingBlocker, syncMoves } from './drmoto-work-order-invoicing';
import { checkCheckinMedia } from './drmoto-work-order-media';

type Result = Record<string, unknown>;

const CANCELLABLE_STATES = ['draft', 'checkin', 'diagnosing', 'quoted', 'in_progress', 'ready'];
const QUOTING_STATES = ['diagnosing', 'quoted', 'in_progress'];
const DECIDING_STATES = ['quoted', 'in_progress'];
const MAX_KEY = 255;

/** action → who may call it, and the verb of the DRM_WO_STATE / DRM_FORBIDDEN messages (the addon's ACTIONS) */
export const ACTIONS: Record<string, [Array<Role | 'customer' | 'system'>, string]> = {
  open: [['advisor', 'customer'], 'open a work order'],
  checkin: [['advisor'], 'check in'],
  start_diagnosis: [['advisor', 'technician'], 'start the diagnosis'],
  record_diagnosis: [['advisor', 'technician'], 'record a diagnosis'],
  create_quote: [['advisor'], 'create a quote'],
  send_quote: [['advisor'], 'send a quote'],
  confirm_quote: [['advisor', 'customer'], 'confirm a quote'],
  reject_quote: [['advisor', 'customer'], 'reject a quote'],
  start_repair: [['technician', 'advisor'], 'start the repair'],
  mark_ready: [['technician'], 'mark it ready'],
  deliver: [['advisor'], 'deliver'],
  close: [['cashier', 'system'], 'close'],
  cancel: [['advisor'], 'cancel'],
  // issue 4 (drmoto-work-order-parts.ts)
  request_parts: [['technician', 'advisor'], 'request parts'],
  issue_parts: [['keeper'], 'issue parts'],
  return_parts: [['keeper'], 'return parts'],
  // issue 5 (drmoto-work-order-payments.ts)
  sync_invoices: [['cashier', 'system'], 'sync the invoices'],
  register_payment: [['cashier', 'system'], 'register a payment'],
  register_refund: [['cashier', 'system'], 'register a refund'],
};

const OPEN_KEYS = new Set(['partner_id', 'vehicle_id', 'symptom', 'odometer_in', 'promised_date', 'technician_id', 'state']);
const LINE_KEYS = new Set(['kind', 'product_id', 'description', 'qty', 'price_unit', 'discount', 'tax_ids']);

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** Python truthiness of JSON-ish values */
const truthy = (v: unknown): boolean => !(v === false || v === null || v === undefined || v === 0 || v === '' || (Array.isArray(v) && v.length === 0));
const pyRepr = (v: unknown): string => (typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : v === null || v === undefined ? 'None' : v === true ? 'True' : v === false ? 'False' : String(v));

/** _staff_has_role: the staff user is active, internal, in one of the roles and (when given) allowed in the company */
export function staffHasRole(env: Env, uid: number, roles: Role[], companyId: number | null = null): boolean {
  const user = env.orm.table('res.users').rows.get(uid);
  if (!user || user.active === false) return false;
  const groups = env.orm.userGroups(uid);
  if (!groups.has('base.group_user')) return false;
  if (companyId !== null && !((user.company_ids as number[] | null) ?? []).includes(companyId)) return false;
  return roles.some((r) => groups.has(ROLE_GROUPS[r]));
}

// ------------------------------------------------------------------------------------------------ steps 1–5

function newKey(): string {
  return uiKey();
}

/** _drmoto_key */
export function requestKey(value: unknown): string {
  if (!truthy(value)) return newKey();
  if (typeof value !== 'string' || value.length > MAX_KEY || !value.trim()) throw validationError(`a request key is a string of 1 to ${MAX_KEY} characters`);
  return value;
}

/** step 1: one readable work order, and the replay of a known request key */
function begin(env: Env, ids: number[], action: string, keyValue: unknown): { wo: Row; key: string; replay: Result | null } {
  const wo = actionWorkOrder(env, ids);
  const key = requestKey(keyValue);
  const log = findLog(env, wo.id, key);
  if (!log) return { wo, key, replay: null };
  if (log.action !== action) {
    throw new UserError(`DRM_DUP_KEY: request key ${key} was used for '${String(log.action)}' on work order ${String(wo.name)}, not for '${action}'`);
  }
  return { wo, key, replay: { ...(JSON.parse(String(log.result || '{}')) as Result), log_id: log.id, replayed: true } };
}

export function findLog(env: Env, woId: number, key: string): Row | undefined {
  const logs = env.model(STATUS_LOG).sudo();
  return logs.sortRows(
    logs.allRows().filter((l) => l.work_order_id === woId && l.request_key === key),
    logs.def.order ?? 'id',
  )[0];
}

/** step 2: the acting principal may run `action` on this work order (`wo` undefined for action_open) */
export function checkActor(env: Env, action: string, wo: Row | undefined): Actor {
  const [who, verb] = ACTIONS[action]!;
  const actor = getActor(env);
  if (actor.kind === 'customer') {
    if (!who.includes('customer')) throw forbidden(`a customer may not ${verb}`);
    if (wo && wo.partner_id !== actor.partner_id) throw forbidden(`work order ${String(wo.name)} is not this customer's`);
  } else if (actor.kind === 'system') {
    if (!who.includes('system')) throw forbidden(`the system may not ${verb}`);
  } else {
    const roles = [...who.filter((r): r is Role => r in ROLE_GROUPS), 'manager' as Role];
    if (!staffHasRole(env, actor.uid, roles, wo ? (wo.company_id as number) : null)) throw forbidden(`staff user ${actor.uid} may not ${verb}`);
  }
  return actor;
}

/** step 3: optimistic concurrency; no revision (False/None: the web UI) skips it; 0 is compared (revisions start at 1) */
function checkRevision(wo: Row, revision: unknown): void {
  if (revision === false || revision === null || revision === undefined) return;
  if (!isInt(revision)) throw validationError('revision must be an integer');
  if (revision !== wo.revision) throw new UserError(`DRM_STALE: work order ${String(wo.name)} is at revision ${String(wo.revision)}, not ${revision}`);
}

export function stateError(wo: Row, action: string): UserError {
  return new UserError(`DRM_WO_STATE: work order ${String(wo.name)} is in state '${String(wo.state)}'; cannot ${ACTIONS[action]![1]}`);
}

export interface Prepared {
  wo: Row;
  key: string;
  actor: Actor;
  replay: Result | null;
}

/** steps 1–4 */
export function prepare(env: Env, ids: number[], action: string, revision: unknown, keyValue: unknown, states: string[] | null): Prepared {
  const { wo, key, replay } = begin(env, ids, action, keyValue);
  if (replay) return { wo, key, actor: { kind: 'system' }, replay };
  const actor = checkActor(env, action, wo);
  checkRevision(wo, revision);
  if (states && !states.includes(String(wo.state))) throw stateError(wo, action);
  return { wo, key, actor, replay: null };
}

/** _drmoto_log: one status-log row (never written afterwards: the result is known before it is created) */
export function writeLog(
  env: Env,
  wo: Row,
  v: { event: string; action: string; fromState: string | null; toState: string | null; actor: Actor; key: string; note: unknown },
  result: Result,
): Row {
  const logs = env.model(STATUS_LOG).sudo();
  const [id] = logs.create([
    {
      work_order_id: wo.id,
      company_id: wo.company_id,
      event: v.event,
      action: v.action,
      from_state: v.fromState || false,
      to_state: v.toState || false,
      user_id: env.uid,
      ...actorFields(v.actor),
      request_key: v.key,
      trace_id: contextStr(env, 'drmoto_trace_id'),
      note: truthy(v.note) ? v.note : false,
      revision: wo.revision,
      result: pyJson(result),
    },
  ]);
  return logs.row(id!)!;
}

/** step 5, _drmoto_act: ONE write (revision + 1), ONE status-log row, the result dict */
export function act(
  env: Env,
  wo: Row,
  action: string,
  actor: Actor,
  key: string,
  opts: { vals?: Record<string, unknown>; event?: string; note?: unknown; extra?: Result; result?: Result } = {},
): Result {
  const fromState = String(wo.state);
  actionEnv(env, key).model(WO).write([wo.id], { ...(opts.vals ?? {}) });
  const result = opts.result ?? { id: wo.id, name: wo.name, state: wo.state, revision: wo.revision, ...(opts.extra ?? {}) };
  const log = writeLog(env, wo, { event: opts.event ?? 'transition', action, fromState, toState: String(wo.state), actor, key, note: opts.note }, result);
  return { ...result, log_id: log.id, replayed: false };
}

// ------------------------------------------------------------------------------------------------ action_open

function actionOpen(env: Env, vals: unknown, keyValue: unknown): Result {
  if (!vals || typeof vals !== 'object' || Array.isArray(vals)) throw validationError('vals must be an object');
  const v = vals as Record<string, unknown>;
  const unknown = Object.keys(v)
    .filter((k) => !OPEN_KEYS.has(k))
    .sort();
  if (unknown.length) throw validationError(`unknown fields: ${unknown.join(', ')}`);
  const key = requestKey(keyValue);
  const vehicleId = v.vehicle_id;
  if (!isInt(vehicleId)) throw validationError('vehicle_id must be a vehicle id');
  const partnerId = v.partner_id;
  if (partnerId !== undefined && partnerId !== null && partnerId !== false && !isInt(partnerId)) throw validationError('partner_id must be a partner id');

  // 1. replay: the key is unique per shop
  const companies = env.companyIds();
  const wos = env.model(WO).sudo();
  const existing = wos.sortRows(
    wos.allRows().filter((w) => w.open_request_key === key && companies.includes(w.company_id as number)),
    wos.def.order ?? 'id',
  )[0];
  if (existing) {
    if (existing.vehicle_id !== vehicleId || (truthy(partnerId) && existing.partner_id !== partnerId)) {
      throw new UserError(`DRM_DUP_KEY: request key ${key} already opened work order ${String(existing.name)} for another vehicle`);
    }
    const logs = env.model(STATUS_LOG).sudo();
    const log = logs.sortRows(
      logs.allRows().filter((l) => l.work_order_id === existing.id && l.event === 'open'),
      logs.def.order ?? 'id',
    )[0];
    const result = (log?.result ? JSON.parse(String(log.result)) : { id: existing.id, name: existing.name, state: existing.state, revision: existing.revision }) as Result;
    delete result.log_id;
    return { ...result, replayed: true };
  }

  // 2. actor
  const actor = checkActor(env, 'open', undefined);
  // the caller's record rules (and active_test)
  const [vid] = env.model('drmoto.vehicle').search([['id', '=', vehicleId]]);
  if (vid === undefined) throw validationError(`vehicle ${vehicleId} does not exist`);
  const vehicle = env.model('drmoto.vehicle').sudo().row(vid)!;
  const vehicleCompany = vehicle.company_id as number;
  let state = truthy(v.state) ? v.state : 'draft';
  if (state !== 'draft' && state !== 'checkin') throw validationError(`a work order opens as 'draft' or 'checkin', not ${pyRepr(state)}`);
  if (actor.kind === 'customer') {
    if (vehicle.partner_id !== actor.partner_id || (truthy(partnerId) && partnerId !== actor.partner_id)) {
      throw forbidden('a customer may only open work orders for their own vehicles');
    }
    if (truthy(v.technician_id)) throw forbidden('a customer may not assign a technician');
    state = 'draft';
  } else if (actor.kind === 'staff' && !staffHasRole(env, actor.uid, ['advisor', 'manager'], vehicleCompany)) {
    const company = env.model('res.company').sudo().row(vehicleCompany);
    throw forbidden(`staff user ${actor.uid} may not open work orders in ${String(company?.name ?? '')}`);
  }

  const technicianId = truthy(v.technician_id) ? v.technician_id : false;
  if (technicianId !== false && (!isInt(technicianId) || !staffHasRole(env, technicianId, ['technician', 'manager'], vehicleCompany))) {
    throw validationError(`user ${String(technicianId)} is not a technician of this shop`);
  }
  const odometerIn = truthy(v.odometer_in) ? v.odometer_in : 0;
  if (!isInt(odometerIn) || odometerIn < 0) throw validationError('odometer_in must be a non-negative integer');
  let promised: string | false = false;
  if (truthy(v.promised_date)) {
    // fields.Datetime.to_datetime: 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'
    const s = typeof v.promised_date === 'string' ? v.promised_date : '';
    const m = /^(\d{4}-\d{2}-\d{2})( \d{2}:\d{2}:\d{2})?$/.exec(s.length > 19 ? s.slice(0, 19) : s);
    const iso = m ? `${m[1]}T${(m[2] ?? ' 00:00:00').trim()}Z` : '';
    if (!m || Number.isNaN(new Date(iso).getTime()) || new Date(iso).toISOString().slice(0, 19) !== iso.slice(0, 19)) {
      throw validationError("promised_date must be 'YYYY-MM-DD HH:MM:SS' (UTC)");
    }
    promised = `${m[1]}${m[2] ?? ' 00:00:00'}`;
  }
  const symptom = truthy(v.symptom) ? v.symptom : false;
  if (symptom !== false && typeof symptom !== 'string') throw validationError('symptom must be a string');

  const createEnv = actionEnv(env, key).withContext({ drmoto_skip_open_log: true, allowed_company_ids: [vehicleCompany] });
  const [id] = createEnv.model(WO).create([
    {
      partner_id: truthy(partnerId) ? partnerId : vehicle.partner_id,
      vehicle_id: vehicle.id,
      company_id: vehicleCompany,
      symptom,
      odometer_in: odometerIn,
      promised_date: promised,
      technician_id: technicianId,
      advisor_id: actor.kind === 'staff' ? actor.uid : false,
      state,
      open_request_key: key,
    },
  ]);
  const wo = wos.row(id!)!;
  const result = { id: wo.id, name: wo.name, state: wo.state, revision: wo.revision };
  writeLog(env, wo, { event: 'open', action: 'open', fromState: null, toState: String(wo.state), actor, key, note: false }, result);
  return { ...result, replayed: false };
}

// ------------------------------------------------------------------------------------------------ quotes

/** _drmoto_quote_line_vals: validate the BFF's quote lines and fill in the default taxes */
function quoteLineVals(env: Env, wo: Row, lines: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(lines)) throw validationError('lines must be a list');
  const companyId = wo.company_id as number;
  const products = env.model('product.product').sudo();
  const taxes = env.model('account.tax').sudo();
  const company = env.model('res.company').sudo().row(companyId)!;
  return lines.map((raw, i) => {
    const index = i + 1;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw validationError(`line ${index} must be an object`);
    const line = raw as Record<string, unknown>;
    const unknown = Object.keys(line)
      .filter((k) => !LINE_KEYS.has(k))
      .sort();
    if (unknown.length) throw validationError(`line ${index}: unknown fields ${unknown.join(', ')}`);
    const kind = truthy(line.kind) ? line.kind : 'labor';
    if (kind !== 'labor' && kind !== 'part') throw validationError(`line ${index}: kind is 'labor' or 'part'`);
    let product: Row | undefined;
    if (truthy(line.product_id)) {
      if (!isInt(line.product_id)) throw validationError(`line ${index}: product_id must be a product id`);
      const p = products.row(line.product_id);
      product = p && p.active !== false && (p.company_id === null || p.company_id === companyId) ? p : undefined;
      if (!product) throw validationError(`line ${index}: product ${line.product_id} does not exist in this shop`);
    } else if (kind === 'part') throw validationError(`line ${index}: a part line needs a product`);
    let description = line.description;
    if (!truthy(description) && product) description = products.displayName(product);
    if (typeof description !== 'string' || !description.trim()) throw validationError(`line ${index}: a description is required`);
    const qty = line.qty;
    if (!isNumber(qty) || qty <= 0) throw validationError(`line ${index}: qty must be a number > 0`);
    let priceUnit = line.price_unit;
    if ((priceUnit === null || priceUnit === undefined) && product) priceUnit = Number(product.list_price);
    if (!isNumber(priceUnit) || priceUnit < 0) throw validationError(`line ${index}: price_unit must be a number >= 0`);
    const discount = truthy(line.discount) ? line.discount : 0.0;
    if (!isNumber(discount) || !(discount >= 0 && discount <= 100)) throw validationError(`line ${index}: discount must be between 0 and 100`);
    let taxIds: number[];
    if ('tax_ids' in line && line.tax_ids !== null && line.tax_ids !== undefined) {
      const given = line.tax_ids;
      if (!Array.isArray(given) || !given.every(isInt)) throw validationError(`line ${index}: tax_ids must be a list of tax ids`);
      const found = [...new Set(given as number[])].filter((t) => {
        const tax = taxes.row(t);
        return tax && tax.active !== false && tax.type_tax_use === 'sale' && tax.company_id === companyId;
      });
      if (found.length !== new Set(given as number[]).size) throw validationError(`line ${index}: tax_ids must be sale taxes of this shop`);
      taxIds = taxes.sortRows(found.map((t) => taxes.row(t)!), taxes.def.order ?? 'id').map((t) => t.id);
    } else {
      const mine = kind === 'part' && product ? ((product.taxes_id as number[] | null) ?? []).filter((t) => taxes.row(t)?.company_id === companyId) : [];
      const def = company.account_sale_tax_id as number | null;
      taxIds = mine.length ? mine : def ? [def] : [];
    }
    return {
      kind,
      sequence: index * 10,
      product_id: product ? product.id : false,
      description: description.trim(),
      qty,
      price_unit: priceUnit,
      discount,
      tax_ids: [[6, 0, taxIds]],
    };
  });
}

/** _drmoto_latest_quote: the latest version, which must be `version` (when given) and in `expected` */
function latestQuoteFor(env: Env, wo: Row, version: unknown, expected: string, verb: string): Row {
  const quotes = quotesOf(env, wo.id);
  const latest = quotes[quotes.length - 1];
  if (truthy(version)) {
    if (!isInt(version)) throw validationError('version must be an integer');
    if (!quotes.some((q) => q.version === version)) throw new MissingError(`DRM_NOT_FOUND: work order ${String(wo.name)} has no quote version ${version}`);
    if (version !== latest!.version) {
      throw new UserError(`DRM_QUOTE_STATE: quote version ${version} of ${String(wo.name)} is not the latest (${String(latest!.version)}); cannot ${verb} it`);
    }
  }
  if (!latest) throw new UserError(`DRM_QUOTE_STATE: work order ${String(wo.name)} has no quote; cannot ${verb} it`);
  if (latest.state !== expected) {
    throw new UserError(`DRM_QUOTE_STATE: quote version ${String(latest.version)} of ${String(wo.name)} is in state '${String(latest.state)}'; cannot ${verb} it`);
  }
  return latest;
}

function actionCreateQuote(env: Env, ids: number[], revision: unknown, keyValue: unknown, lines: unknown, note: unknown): Result {
  const p = prepare(env, ids, 'create_quote', revision, keyValue, QUOTING_STATES);
  if (p.replay) return p.replay;
  const { wo, key, actor } = p;
  const lineVals = quoteLineVals(env, wo, truthy(lines) ? lines : []);
  if (truthy(note) && typeof note !== 'string') throw validationError('note must be a string');
  const aenv = actionEnv(env, key);
  const quotes = aenv.model(QUOTE);
  const previous = quotesOf(env, wo.id);
  const version = Math.max(0, ...previous.map((q) => Number(q.version))) + 1;
  const open = previous.filter((q) => q.state === 'draft' || q.state === 'sent');
  if (open.length) quotes.write(open.map((q) => q.id), { state: 'superseded' });
  const [quoteId] = quotes.create([{ work_order_id: wo.id, version, note: truthy(note) ? note : false, line_ids: lineVals.map((l) => [0, 0, l]) }]);
  return act(env, wo, 'create_quote', actor, key, { event: 'quote_created', note, extra: { quote_id: quoteId, version } });
}

function actionSendQuote(env: Env, ids: number[], revision: unknown, keyValue: unknown, version: unknown): Result {
  const p = prepare(env, ids, 'send_quote', revision, keyValue, QUOTING_STATES);
  if (p.replay) return p.replay;
  const { wo, key, actor } = p;
  const quote = latestQuoteFor(env, wo, version, 'draft', 'send');
  if (!quotesLines(env, quote.id)) throw validationError(`quote version ${String(quote.version)} has no lines`);
  actionEnv(env, key).model(QUOTE).write([quote.id], { state: 'sent', sent_at: env.now() });
  const vals = wo.state === 'diagnosing' ? { state: 'quoted' } : {};
  return act(env, wo, 'send_quote', actor, key, { vals, event: 'quote_sent', extra: { quote_id: quote.id, version: quote.version } });
}

function quotesLines(env: Env, quoteId: number): number {
  return env
    .model('drmoto.work.order.quote.line')
    .sudo()
    .allRows()
    .filter((l) => l.quote_id === quoteId).length;
}

function decideQuote(env: Env, ids: number[], action: 'confirm_quote' | 'reject_quote', newState: string, revision: unknown, keyValue: unknown, version: unknown, note: unknown): Result {
  const p = prepare(env, ids, action, revision, keyValue, DECIDING_STATES);
  if (p.replay) return p.replay;
  const { wo, key, actor } = p;
  const quote = latestQuoteFor(env, wo, version, 'sent', ACTIONS[action]![1].split(' ')[0]!);
  const onBehalf = actor.kind !== 'customer';
  const aenv = actionEnv(env, key);
  aenv.model(QUOTE).write([quote.id], {
    state: newState,
    decided_at: env.now(),
    decided_by_user_id: onBehalf && actor.kind === 'staff' ? actor.uid : false,
    decided_by_partner_id: actor.kind === 'customer' ? actor.partner_id : wo.partner_id,
    decided_on_behalf: onBehalf,
  });
  if (onBehalf) {
    recordAudit(aenv, 'quote_on_behalf', QUOTE, quote.id, { before: { state: 'sent' }, after: { state: newState }, note, workOrderId: wo.id });
  }
  if (newState === 'confirmed') planParts(aenv, wo.id, quote.id);
  const event = newState === 'confirmed' ? 'quote_confirmed' : 'quote_rejected';
  return act(env, wo, action, actor, key, { event, note, extra: { quote_id: quote.id, version: quote.version } });
}

// ------------------------------------------------------------------------------------------------ deliver, close, cancel

function currencyOf(env: Env, wo: Row): number | null {
  return (env.model('res.company').sudo().row(wo.company_id as number)?.currency_id as number | undefined) ?? null;
}

function rounding(env: Env, wo: Row): number {
  const cur = env.model('res.currency').sudo().row(currencyOf(env, wo) ?? 0);
  return cur ? Number(cur.rounding) : 0.01;
}

/** _drmoto_close_blocker: why the work order can't close now (a `DRM_<CODE>: …` string), or false */
function closeBlocker(env: Env, wo: Row, afterDelivery = false): string | false {
  if (!afterDelivery && wo.state !== 'delivered') return stateError(wo, 'close').message;
  const due = amountDue(env, wo);
  if (floatRound(due, rounding(env, wo)) !== 0) {
    if (due > 0) return `DRM_MONEY_OWING: work order ${String(wo.name)} has ${money(env, due, currencyOf(env, wo))} due`;
    return `DRM_MONEY_HELD: work order ${String(wo.name)} was paid ${money(env, -due, currencyOf(env, wo))} more than its total; refund it first`;
  }
  // settled also means invoiced: net invoiced == latest confirmed total − refunded
  return invoicingBlocker(env, wo);
}

function doClose(env: Env, wo: Row, actor: Actor, key: string): Result {
  return act(env, wo, 'close', actor, key, { vals: { state: 'closed', closed_at: env.now() }, extra: { closed: true, reason: false } });
}

function actionDeliver(env: Env, ids: number[], revision: unknown, keyValue: unknown, override: unknown, note: unknown): Result {
  const p = prepare(env, ids, 'deliver', revision, keyValue, ['ready']);
  if (p.replay) return p.replay;
  const { wo, key, actor } = p;
  const due = amountDue(env, wo);
  if (floatRound(due, rounding(env, wo)) > 0) {
    if (!truthy(override)) {
      throw new UserError(`DRM_MONEY_OWING: work order ${String(wo.name)} has ${money(env, due, currencyOf(env, wo))} due; a manager may deliver it with override`);
    }
    if (actor.kind !== 'staff' || !staffHasRole(env, actor.uid, ['manager'], wo.company_id as number)) throw forbidden('only a manager may deliver with money owing');
    recordAudit(actionEnv(env, key), 'manager_override', WO, wo.id, { before: { state: 'ready', amount_due: pyFloat(due) }, after: { state: 'delivered' }, note });
  }
  // the result recorded with the delivery already says how the close went (decided now, in this transaction)
  const reason = closeBlocker(env, wo, true);
  const result = {
    id: wo.id,
    name: wo.name,
    state: reason ? 'delivered' : 'closed',
    revision: Number(wo.revision) + (reason ? 1 : 2),
    closed: !reason,
    reason,
  };
  const done = act(env, wo, 'deliver', actor, key, { vals: { state: 'delivered', delivered_at: env.now() }, note, result });
  if (!reason) doClose(env, wo, actor, `${key.slice(0, MAX_KEY - 6)}/close`);
  return done;
}

function actionClose(env: Env, ids: number[], revision: unknown, keyValue: unknown): Result {
  const p = prepare(env, ids, 'close', revision, keyValue, null);
  if (p.replay) return p.replay;
  const { wo, key, actor } = p;
  const reason = closeBlocker(env, wo);
  // not closable: no raise, no change, no log row
  if (reason) return { id: wo.id, name: wo.name, state: wo.state, revision: wo.revision, log_id: false, replayed: false, closed: false, reason };
  return doClose(env, wo, actor, key);
}

/** _drmoto_cancel_blockers: `[code, message]` of what forbids cancelling — money held, then issued parts */
function cancelBlockers(env: Env, wo: Row): Array<[string, string]> {
  const blockers: Array<[string, string]> = [];
  const paid = Number(wo.amount_paid ?? 0);
  if (floatRound(paid, rounding(env, wo)) > 0) {
    blockers.push(['DRM_MONEY_HELD', `work order ${String(wo.name)} holds ${money(env, paid, currencyOf(env, wo))} of payments; refund them first`]);
  }
  if (partsOf(env, wo.id).some((p) => roundQty(Number(p.qty_net ?? 0), uomRounding(env, p.uom_id as number)) > 0)) {
    blockers.push(['DRM_HAS_PARTS', 'return the issued parts first']);
  }
  return blockers;
}

function actionCancel(env: Env, ids: number[], revision: unknown, keyValue: unknown, reason: unknown): Result {
  const p = prepare(env, ids, 'cancel', revision, keyValue, CANCELLABLE_STATES);
  if (p.replay) return p.replay;
  const { wo, key, actor } = p;
  if (typeof reason !== 'string' || !reason.trim()) throw validationError('a cancel reason is required');
  const [blocker] = cancelBlockers(env, wo);
  if (blocker) throw new UserError(`${blocker[0]}: ${blocker[1]}`);
  const fromState = String(wo.state);
  recordAudit(actionEnv(env, key), 'cancel', WO, wo.id, { before: { state: fromState }, after: { state: 'cancelled' }, note: reason });
  const done = act(env, wo, 'cancel', actor, key, { vals: { state: 'cancelled', cancel_reason: reason }, event: 'cancel', note: reason });
  // a cancelled work order owes nothing: ONE credit note for whatever is invoiced (no money is held here)
  if (floatRound(amountInvoiced(env, wo), rounding(env, wo)) !== 0) syncMoves(actionEnv(env, key), wo, `${key.slice(0, MAX_KEY - 9)}/invoices`);
  return done;
}

// ------------------------------------------------------------------------------------------------ registry

const rk = [
  { name: 'revision', default: false },
  { name: 'request_key', default: false },
];
const noteParam = { name: 'note', default: false };

/** a plain transition */
const simple = (action: string, from: string[], to: string): MethodDef => ({
  api: 'records',
  params: [...rk, noteParam],
  fn: (env, [revision, key, note], ids) => {
    const p = prepare(env, ids, action, revision, key, from);
    if (p.replay) return p.replay;
    return act(env, p.wo, action, p.actor, p.key, { vals: { state: to }, note });
  },
});

export const WORK_ORDER_ACTIONS: Record<string, MethodDef> = {
  action_open: {
    api: 'model',
    params: [{ name: 'vals' }, { name: 'request_key', default: false }],
    fn: (env, [vals, key]) => actionOpen(env, vals, key),
  },
  action_checkin: simple('checkin', ['draft'], 'checkin'),
  action_start_diagnosis: {
    api: 'records',
    params: [...rk, noteParam],
    fn: (env, [revision, key, note], ids) => {
      const p = prepare(env, ids, 'start_diagnosis', revision, key, ['checkin']);
      if (p.replay) return p.replay;
      checkCheckinMedia(env, p.wo); // the shop's minimum of check-in photos (drmoto-work-order-media.ts)
      return act(env, p.wo, 'start_diagnosis', p.actor, p.key, { vals: { state: 'diagnosing' }, note });
    },
  },
  action_record_diagnosis: {
    api: 'records',
    params: [...rk, { name: 'text', default: false }],
    fn: (env, [revision, keyValue, text], ids) => {
      const p = prepare(env, ids, 'record_diagnosis', revision, keyValue, ['diagnosing']);
      if (p.replay) return p.replay;
      if (typeof text !== 'string' || !text.trim()) throw validationError('the diagnosis text is required');
      return act(env, p.wo, 'record_diagnosis', p.actor, p.key, { vals: { diagnosis: text }, event: 'diagnosis', note: text });
    },
  },
  action_create_quote: {
    api: 'records',
    params: [...rk, { name: 'lines', default: false }, noteParam],
    fn: (env, [revision, key, lines, note], ids) => actionCreateQuote(env, ids, revision, key, lines, note),
  },
  action_send_quote: {
    api: 'records',
    params: [...rk, { name: 'version', default: false }],
    fn: (env, [revision, key, version], ids) => actionSendQuote(env, ids, revision, key, version),
  },
  action_confirm_quote: {
    api: 'records',
    params: [...rk, { name: 'version', default: false }],
    fn: (env, [revision, key, version], ids) => decideQuote(env, ids, 'confirm_quote', 'confirmed', revision, key, version, false),
  },
  action_reject_quote: {
    api: 'records',
    params: [...rk, { name: 'version', default: false }, noteParam],
    fn: (env, [revision, key, version, note], ids) => decideQuote(env, ids, 'reject_quote', 'rejected', revision, key, version, note),
  },
  action_start_repair: {
    api: 'records',
    params: [...rk, noteParam],
    fn: (env, [revision, key, note], ids) => {
      const p = prepare(env, ids, 'start_repair', revision, key, ['quoted']);
      if (p.replay) return p.replay;
      if (!confirmedQuote(env, p.wo.id)) throw new UserError(`DRM_QUOTE_STATE: work order ${String(p.wo.name)} has no confirmed quote version; cannot start the repair`);
      return act(env, p.wo, 'start_repair', p.actor, p.key, { vals: { state: 'in_progress' }, note });
    },
  },
  action_mark_ready: simple('mark_ready', ['in_progress'], 'ready'),
  action_deliver: {
    api: 'records',
    params: [...rk, { name: 'override', default: false }, noteParam],
    fn: (env, [revision, key, override, note], ids) => actionDeliver(env, ids, revision, key, override, note),
  },
  action_close: {
    api: 'records',
    params: [...rk],
    fn: (env, [revision, key], ids) => actionClose(env, ids, revision, key),
  },
  action_cancel: {
    api: 'records',
    params: [...rk, { name: 'reason', default: false }],
    fn: (env, [revision, key, reason], ids) => actionCancel(env, ids, revision, key, reason),
  },
};

void latestQuote;
