import type { OdooClient } from './client';
import { int, m2oId, m2oName, str, toOdoo, utc } from './shapes';

export const WO_STATES = ['draft', 'checkin', 'diagnosing', 'quoted', 'in_progress', 'ready', 'delivered', 'closed', 'cancelled'] as const;
export type WoState = (typeof WO_STATES)[number];
export const QUOTE_STATES = ['draft', 'sent', 'confirmed', 'rejected', 'superseded'] as const;
export type QuoteState = (typeof QUOTE_STATES)[number];

/** What every action method returns (docs/odoo-contract.md). */
export interface ActionResult {
  id: number;
  name: string;
  state: WoState;
  revision: number;
  log_id?: number | false;
  replayed: boolean;
  closed?: boolean;
  reason?: string | false;
  quote_id?: number;
  version?: number;
}

export interface WoRow {
  id: number;
  name: string;
  state: WoState;
  revision: number;
  company_id: number | null;
  warehouse_id: number | null;
  partner: { id: number; name: string } | null;
  vehicle: { id: number; plate: string } | null;
  advisor: { id: number; name: string } | null;
  technician: { id: number; name: string } | null;
  symptom: string | null;
  diagnosis: string | null;
  odometer_in: number | null;
  odometer_out: number | null;
  promised_date: string | null;
  cancel_reason: string | null;
  amounts: { untaxed: number; tax: number; total: number; paid: number; due: number };
  created_at: string | null;
  updated_at: string | null;
  delivered_at: string | null;
  closed_at: string | null;
}

export interface QuoteRow {
  id: number;
  work_order_id: number;
  version: number;
  state: QuoteState;
  amounts: { untaxed: number; tax: number; total: number };
  line_ids: number[];
  sent_at: string | null;
  decided_at: string | null;
  decided_on_behalf: boolean;
  note: string | null;
  created_at: string | null;
}

export interface QuoteLineRow {
  id: number;
  quote_id: number;
  sequence: number;
  kind: 'labor' | 'part';
  product: { id: number; name: string } | null;
  description: string;
  qty: number;
  price_unit: number;
  discount: number;
  tax_ids: number[];
  subtotal: number;
  tax: number;
  total: number;
}

export interface LogRow {
  id: number;
  event: string;
  action: string | null;
  from_state: string | null;
  to_state: string | null;
  actor_kind: string | null;
  actor_user: { id: number; name: string } | null;
  actor_partner: { id: number; name: string } | null;
  note: string | null;
  revision: number | null;
  trace_id: string | null;
  at: string | null;
}

export interface PartRow {
  id: number;
  product: { id: number; name: string } | null;
  qty_planned: number;
  uom: string | null;
}

const WO_FIELDS = [
  'name', 'state', 'revision', 'company_id', 'warehouse_id', 'partner_id', 'vehicle_id', 'advisor_id', 'technician_id',
  'symptom', 'diagnosis', 'odometer_in', 'odometer_out', 'promised_date', 'cancel_reason',
  'amount_untaxed', 'amount_tax', 'amount_total', 'amount_paid', 'amount_due', 'create_date', 'write_date', 'delivered_at', 'closed_at',
];
const QUOTE_FIELDS = ['work_order_id', 'version', 'state', 'amount_untaxed', 'amount_tax', 'amount_total', 'line_ids', 'sent_at', 'decided_at', 'decided_on_behalf', 'note', 'create_date'];
const LINE_FIELDS = ['quote_id', 'sequence', 'kind', 'product_id', 'description', 'qty', 'price_unit', 'discount', 'tax_ids', 'price_subtotal', 'price_tax', 'price_total'];
const LOG_FIELDS = ['event', 'action', 'from_state', 'to_state', 'actor_kind', 'actor_user_id', 'actor_partner_id', 'note', 'revision', 'trace_id', 'create_date'];
const PART_FIELDS = ['product_id', 'qty_planned', 'uom_id'];
/** The many2one fields of a work order shown by name. */
const WO_NAMED = ['partner_id', 'vehicle_id', 'advisor_id', 'technician_id'];
const QUOTE_ORDER = 'version asc';
const LINE_ORDER = 'sequence asc, id asc';
const LOG_ORDER = 'id asc';
const PART_ORDER = 'id asc';

const ref = (v: unknown) => (m2oId(v) ? { id: m2oId(v)!, name: m2oName(v) ?? '' } : null);
const num = (v: unknown) => (typeof v === 'number' ? v : 0);

function toWo(r: Record<string, unknown>): WoRow {
  return {
    id: r.id as number,
    name: str(r.name) ?? '',
    state: r.state as WoState,
    revision: num(r.revision),
    company_id: m2oId(r.company_id),
    warehouse_id: m2oId(r.warehouse_id),
    partner: ref(r.partner_id),
    vehicle: m2oId(r.vehicle_id) ? { id: m2oId(r.vehicle_id)!, plate: m2oName(r.vehicle_id) ?? '' } : null,
    advisor: ref(r.advisor_id),
    technician: ref(r.technician_id),
    symptom: str(r.symptom),
    diagnosis: str(r.diagnosis),
    odometer_in: int(r.odometer_in),
    odometer_out: int(r.odometer_out),
    promised_date: utc(r.promised_date),
    cancel_reason: str(r.cancel_reason),
    amounts: { untaxed: num(r.amount_untaxed), tax: num(r.amount_tax), total: num(r.amount_total), paid: num(r.amount_paid), due: num(r.amount_due) },
    created_at: utc(r.create_date),
    updated_at: utc(r.write_date),
    delivered_at: utc(r.delivered_at),
    closed_at: utc(r.closed_at),
  };
}

export interface OpenVals {
  partner_id: number;
  vehicle_id: number;
  symptom?: string;
  odometer_in?: number;
  promised_date?: string;
  technician_id?: number;
  state?: 'checkin';
}

export interface QuoteLineInput {
  kind: 'labor' | 'part';
  product_id?: number;
  description: string;
  qty: number;
  price_unit: number;
  discount: number;
  tax_ids?: number[];
}

export class WorkOrderGateway {
  constructor(private readonly odoo: OdooClient) {}

  /** Safe to resend after a timeout: the addon replays by request key. */
  open(vals: OpenVals, requestKey: string): Promise<ActionResult> {
    const clean = Object.fromEntries(Object.entries(vals).filter(([, v]) => v !== undefined));
    return this.odoo.execute<ActionResult>('drmoto.work.order', 'action_open', [clean, requestKey], {}, { idempotent: true, requestKey });
  }

  /** One action method = one Odoo transaction, keyed, revision-checked (docs/odoo-contract.md). */
  act(id: number, method: string, revision: number | null, requestKey: string, extra: unknown[] = []): Promise<ActionResult> {
    return this.odoo.execute<ActionResult>('drmoto.work.order', method, [[id], revision ?? false, requestKey, ...extra.map(toOdoo)], {}, { idempotent: true, requestKey });
  }

  async get(id: number): Promise<WoRow | null> {
    const rows = await this.odoo.searchRead<Record<string, unknown>>('drmoto.work.order', [['id', '=', id]], WO_FIELDS);
    return rows[0] ? toWo(rows[0]) : null;
  }

  /**
   * A page and the total in one call (`web_search_read`: Odoo counts only when the page is full). A page past
   * the end comes back empty with length 0, so only then is the total asked for separately.
   */
  async search(domain: unknown[], page: { offset: number; limit: number; order: string }): Promise<{ items: WoRow[]; total: number }> {
    const r = await this.odoo.execute<WebPage>('drmoto.work.order', 'web_search_read', [domain, LIST_SPEC], page, { idempotent: true });
    const total = r.records.length === 0 && page.offset > 0 ? await this.odoo.searchCount('drmoto.work.order', domain) : r.length;
    return { items: r.records.map((x) => toWo(classic(x))), total };
  }

  async quotes(woId: number): Promise<QuoteRow[]> {
    const rows = await this.odoo.searchRead<Record<string, unknown>>('drmoto.work.order.quote', [['work_order_id', '=', woId]], QUOTE_FIELDS, { order: QUOTE_ORDER });
    return rows.map((r) => toQuote(r, woId));
  }

  async quoteLines(quoteIds: number[]): Promise<QuoteLineRow[]> {
    if (quoteIds.length === 0) return [];
    const rows = await this.odoo.searchRead<Record<string, unknown>>('drmoto.work.order.quote.line', [['quote_id', 'in', quoteIds]], LINE_FIELDS, { order: 'quote_id asc, ' + LINE_ORDER });
    return rows.map(toLine);
  }

  async log(woId: number): Promise<LogRow[]> {
    const rows = await this.odoo.searchRead<Record<string, unknown>>('drmoto.wo.status.log', [['work_order_id', '=', woId]], LOG_FIELDS, { order: LOG_ORDER });
    return rows.map(toLog);
  }

  async parts(woId: number): Promise<PartRow[]> {
    const rows = await this.odoo.searchRead<Record<string, unknown>>('drmoto.work.order.part', [['work_order_id', '=', woId]], PART_FIELDS, { order: PART_ORDER });
    return rows.map(toPart);
  }

  /**
   * A work order with its quote versions and their lines, status log and planned parts in ONE call: Odoo 17's
   * `web_search_read` with a nested specification (the same fields, orders and display names as the five
   * separate reads; a record the user may not see is simply not found). On a real Odoo 17 this costs about
   * 40% of the five reads (docs/odoo-contract.md, BENCHMARKS.md).
   */
  async detail(id: number): Promise<WoBundle | null> {
    const r = await this.odoo.execute<WebPage>('drmoto.work.order', 'web_search_read', [[['id', '=', id]], DETAIL_SPEC], { limit: 1 }, { idempotent: true });
    const rec = r.records[0];
    if (!rec) return null;
    const quotesRaw = (rec.quote_ids as Record<string, unknown>[]).map(classic);
    const lines = quotesRaw.flatMap((q) => (q.line_ids as Record<string, unknown>[]).map((l) => toLine(classic(l))));
    const quotes = quotesRaw.map((q) => toQuote({ ...q, line_ids: (q.line_ids as Record<string, unknown>[]).map((l) => l.id) }, id));
    return {
      wo: toWo(classic(rec)),
      quotes,
      lines,
      log: (rec.status_log_ids as Record<string, unknown>[]).map((l) => toLog(classic(l))),
      parts: (rec.part_ids as Record<string, unknown>[]).map((pt) => toPart(classic(pt))),
    };
  }
}

/** A work order's detail as read in one call. */
export interface WoBundle {
  wo: WoRow;
  quotes: QuoteRow[];
  lines: QuoteLineRow[];
  log: LogRow[];
  parts: PartRow[];
}

interface WebPage {
  length: number;
  records: Record<string, unknown>[];
}

/** A web_read specification for `fields`, naming the many2one targets whose display name we show. */
function specOf(fields: string[], named: string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f, named.includes(f) ? { fields: { display_name: {} } } : {}]));
}

const DETAIL_SPEC = {
  ...specOf(WO_FIELDS, WO_NAMED),
  quote_ids: { fields: { ...specOf(QUOTE_FIELDS, []), line_ids: { fields: specOf(LINE_FIELDS, ['product_id']), order: LINE_ORDER } }, order: QUOTE_ORDER },
  status_log_ids: { fields: specOf(LOG_FIELDS, ['actor_user_id', 'actor_partner_id']), order: LOG_ORDER },
  part_ids: { fields: specOf(PART_FIELDS, ['product_id', 'uom_id']), order: PART_ORDER },
};

const LIST_SPEC = specOf(WO_FIELDS, WO_NAMED);

/** web_read's `{id, display_name}` many2one values → classic read's `[id, name]`, so one set of mappers serves both. */
function classic(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    const named = v && typeof v === 'object' && !Array.isArray(v) && 'display_name' in v ? (v as { id: number; display_name: string }) : null;
    out[k] = named ? [named.id, named.display_name] : v;
  }
  return out;
}

function toQuote(r: Record<string, unknown>, woId: number): QuoteRow {
  return {
    id: r.id as number,
    work_order_id: m2oId(r.work_order_id) ?? woId,
    version: num(r.version),
    state: r.state as QuoteState,
    amounts: { untaxed: num(r.amount_untaxed), tax: num(r.amount_tax), total: num(r.amount_total) },
    line_ids: Array.isArray(r.line_ids) ? (r.line_ids as number[]) : [],
    sent_at: utc(r.sent_at),
    decided_at: utc(r.decided_at),
    decided_on_behalf: r.decided_on_behalf === true,
    note: str(r.note),
    created_at: utc(r.create_date),
  };
}

function toLine(r: Record<string, unknown>): QuoteLineRow {
  return {
    id: r.id as number,
    quote_id: m2oId(r.quote_id) ?? 0,
    sequence: num(r.sequence),
    kind: r.kind === 'part' ? 'part' : 'labor',
    product: ref(r.product_id),
    description: str(r.description) ?? '',
    qty: num(r.qty),
    price_unit: num(r.price_unit),
    discount: num(r.discount),
    tax_ids: Array.isArray(r.tax_ids) ? (r.tax_ids as number[]) : [],
    subtotal: num(r.price_subtotal),
    tax: num(r.price_tax),
    total: num(r.price_total),
  };
}

function toLog(r: Record<string, unknown>): LogRow {
  return {
    id: r.id as number,
    event: str(r.event) ?? 'transition',
    action: str(r.action),
    from_state: str(r.from_state),
    to_state: str(r.to_state),
    actor_kind: str(r.actor_kind),
    actor_user: ref(r.actor_user_id),
    actor_partner: ref(r.actor_partner_id),
    note: str(r.note),
    revision: int(r.revision),
    trace_id: str(r.trace_id),
    at: utc(r.create_date),
  };
}

function toPart(r: Record<string, unknown>): PartRow {
  return { id: r.id as number, product: ref(r.product_id), qty_planned: num(r.qty_planned), uom: m2oName(r.uom_id) };
}
