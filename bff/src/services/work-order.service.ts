import { createHash, randomUUID } from 'node:crypto';
import type { Principal, StaffRole } from '../domain/principal';
import { principalKey } from '../domain/principal';
import { fromMinor, toMinor } from '../domain/money';
import { escapeLike, plateSearchTerm } from '../domain/normalize';
import { localMidnightUtc, nextDay, toOdooDatetime } from '../domain/time';
import { AppError } from '../errors';
import type { Shop, ShopGateway } from '../integrations/odoo/shops';
import type { ActionResult, LogRow, QuoteLineInput, QuoteLineRow, QuoteRow, WoRow, WoState, WorkOrderGateway } from '../integrations/odoo/work-orders';

/** The transition table of DESIGN §5 as the BFF enforces it before asking Odoo (which enforces it again). */
export const TRANSITIONS = {
  checkin: { method: 'action_checkin', roles: ['advisor'] },
  start_diagnosis: { method: 'action_start_diagnosis', roles: ['advisor', 'technician'] },
  start_repair: { method: 'action_start_repair', roles: ['technician', 'advisor'] },
  mark_ready: { method: 'action_mark_ready', roles: ['technician'] },
  deliver: { method: 'action_deliver', roles: ['advisor'] },
  close: { method: 'action_close', roles: ['cashier'] },
  cancel: { method: 'action_cancel', roles: ['advisor'] },
} as const satisfies Record<string, { method: string; roles: readonly StaffRole[] }>;
export type TransitionAction = keyof typeof TRANSITIONS;

export interface Money {
  amount: number;
  currency: string;
}

export interface WorkOrderSummary {
  id: number;
  number: string;
  status: WoState;
  revision: number;
  shop_id: number | null;
  customer: { id: number; name: string } | null;
  vehicle: { id: number; plate: string } | null;
  technician: { id: number; name: string } | null;
  symptom: string | null;
  total: Money;
  amount_due: Money;
  created_at: string | null;
  updated_at: string | null;
}

export interface QuoteView {
  version: number;
  status: QuoteRow['state'];
  untaxed: Money;
  tax: Money;
  total: Money;
  sent_at: string | null;
  decided_at: string | null;
  decided_on_behalf: boolean;
  note: string | null;
  created_at: string | null;
  lines: {
    kind: 'labor' | 'part';
    product: { id: number; name: string } | null;
    description: string;
    qty: number;
    unit_price: number;
    discount_percent: number;
    tax_ids: number[];
    subtotal: number;
    tax: number;
    total: number;
  }[];
}

export interface TimelineEntry {
  at: string | null;
  event: string;
  action: string | null;
  from: string | null;
  to: string | null;
  actor: { kind: string | null; user: { id: number; name: string } | null; customer: { id: number; name: string } | null };
  note: string | null;
  revision: number | null;
}

export interface WorkOrderDetail extends WorkOrderSummary {
  warehouse_id: number | null;
  advisor: { id: number; name: string } | null;
  diagnosis: string | null;
  odometer_in: number | null;
  odometer_out: number | null;
  promised_date: string | null;
  cancel_reason: string | null;
  amounts: { untaxed: number; tax: number; total: number; paid: number; due: number; currency: string };
  current_quote_version: number | null;
  confirmed_quote_version: number | null;
  quotes: QuoteView[];
  planned_parts: { product: { id: number; name: string } | null; qty: number; uom: string | null }[];
  timeline: TimelineEntry[];
  delivered_at: string | null;
  closed_at: string | null;
}

export interface ListQuery {
  status?: WoState[];
  created_from?: string;
  created_to?: string;
  customer_id?: number;
  plate?: string;
  technician_id?: number;
  q?: string;
  sort: string;
  page: number;
  limit: number;
}

const SORTS: Record<string, string> = { created_at: 'create_date', updated_at: 'write_date', status: 'state', total: 'amount_total' };

/** The result of a transition as the API returns it. */
export interface TransitionResult {
  id: number;
  number: string;
  status: WoState;
  revision: number;
  replayed: boolean;
  closed?: boolean;
  quote_version?: number;
}

/** What the money side checks before a work order leaves the shop or is cancelled. */
export interface WorkOrderMoneyGuard {
  /** Settles the work order's ledgered payments in Odoo now, so money already received is never taken for money owing. */
  settleWorkOrderNow(workOrderId: number): Promise<unknown>;
  /** Refuses (409 DRM_MONEY_HELD) while the ledger holds money for the work order. */
  assertNoMoneyHeld(workOrderId: number): Promise<void>;
}

export class WorkOrderService {
  constructor(
    private readonly wos: WorkOrderGateway,
    private readonly shops: ShopGateway,
    private readonly money?: WorkOrderMoneyGuard,
  ) {}

  /**
   * The request key sent to Odoo: derived from the client's Idempotency-Key (scoped by principal and
   * route, so two people's keys never collide in Odoo) or, without one, fresh per request — still
   * enough for the gateway to resend safely after a timeout.
   */
  static requestKey(p: Principal, scope: string, idempotencyKey: string | undefined): string {
    if (!idempotencyKey) return `bff-${randomUUID()}`;
    return 'bff-' + createHash('sha256').update(`${principalKey(p)}\n${scope}\n${idempotencyKey}`).digest('hex').slice(0, 40);
  }

  async open(p: Principal, input: { customer_id?: number; vehicle_id: number; symptom?: string; odometer_in?: number; promised_date?: string; technician_id?: number; checkin?: boolean }, requestKey: string): Promise<WorkOrderDetail> {
    let partnerId: number;
    if (p.kind === 'customer') {
      if (input.customer_id !== undefined && input.customer_id !== p.partnerId) throw new AppError('forbidden', 'Customers open service requests for themselves only.');
      if (input.checkin || input.technician_id !== undefined) throw new AppError('forbidden', 'Only the shop checks a vehicle in or assigns a technician.');
      partnerId = p.partnerId!;
    } else if (p.kind === 'staff') {
      if (!input.customer_id) throw new AppError('validation', 'The request body is invalid.', { errors: [{ path: 'body.customer_id', message: 'Required for staff.' }] });
      partnerId = input.customer_id;
    } else throw new AppError('forbidden', 'Not allowed.');
    const r = await this.wos.open(
      {
        partner_id: partnerId,
        vehicle_id: input.vehicle_id,
        symptom: input.symptom,
        odometer_in: input.odometer_in,
        promised_date: input.promised_date ? toOdooDatetime(new Date(input.promised_date)) : undefined,
        technician_id: input.technician_id,
        state: input.checkin ? 'checkin' : undefined,
      },
      requestKey,
    );
    return this.detail(p, r.id);
  }

  async list(p: Principal, q: ListQuery): Promise<{ items: WorkOrderSummary[]; total: number; page: number; limit: number }> {
    const domain: unknown[] = [];
    if (p.kind === 'customer') domain.push(['partner_id', '=', p.partnerId]);
    else if (q.customer_id) domain.push(['partner_id', '=', q.customer_id]);
    if (q.status?.length) domain.push(['state', 'in', q.status]);
    if (q.created_from || q.created_to) {
      const shop = await this.shopOf(p);
      if (q.created_from) domain.push(['create_date', '>=', toOdooDatetime(localMidnightUtc(q.created_from, shop.tz))]);
      if (q.created_to) domain.push(['create_date', '<', toOdooDatetime(localMidnightUtc(nextDay(q.created_to), shop.tz))]);
    }
    if (q.technician_id) domain.push(['technician_id', '=', q.technician_id]);
    if (q.plate !== undefined) {
      const term = plateSearchTerm(q.plate);
      if (!term) return { items: [], total: 0, page: q.page, limit: q.limit };
      domain.push(['vehicle_id.plate_normalized', 'ilike', escapeLike(term)]);
    }
    if (q.q !== undefined) {
      const t = escapeLike(q.q.trim());
      const plate = plateSearchTerm(q.q);
      const ors: unknown[][] = [['name', 'ilike', t], ['symptom', 'ilike', t], ['partner_id.name', 'ilike', t]];
      if (plate) ors.push(['vehicle_id.plate_normalized', 'ilike', escapeLike(plate)]);
      domain.push(...Array(ors.length - 1).fill('|'), ...ors);
    }
    const desc = q.sort.startsWith('-');
    const field = SORTS[q.sort.replace(/^-/, '')] ?? 'create_date';
    const order = `${field} ${desc ? 'desc' : 'asc'}, id ${desc ? 'desc' : 'asc'}`;
    const r = await this.wos.search(domain, { offset: (q.page - 1) * q.limit, limit: q.limit, order });
    const items = await Promise.all(r.items.map(async (w) => this.summary(w, await this.shopFor(w))));
    return { items, total: r.total, page: q.page, limit: q.limit };
  }

  async detail(p: Principal, id: number): Promise<WorkOrderDetail> {
    const bundle = await this.wos.detail(id);
    this.assertVisible(p, bundle?.wo ?? null, id);
    const { wo, quotes, lines, log, parts } = bundle!;
    const shop = await this.shopFor(wo);
    return this.toDetail(wo, quotes, lines, log, parts, shop);
  }

  async transition(p: Principal, id: number, action: TransitionAction, opts: { note?: string; override?: boolean; reason?: string }, ifMatch: number | null, requestKey: string): Promise<TransitionResult> {
    const t = TRANSITIONS[action];
    this.assertRole(p, t.roles, action);
    if (action === 'deliver' && opts.override && !(p.kind === 'staff' && p.roles.includes('manager'))) {
      throw new AppError('forbidden', 'Delivering with money owing needs a manager.');
    }
    if (action === 'cancel' && !opts.reason?.trim()) {
      throw new AppError('validation', 'The request body is invalid.', { errors: [{ path: 'body.reason', message: 'A reason is required to cancel.' }] });
    }
    // A payment already in the ledger is never taken for money owing; money held blocks a cancel.
    if (action === 'deliver') await this.money?.settleWorkOrderNow(id);
    if (action === 'cancel') await this.money?.assertNoMoneyHeld(id);
    const extra: unknown[] =
      action === 'deliver' ? [opts.override ?? false, opts.note] : action === 'cancel' ? [opts.reason] : action === 'close' ? [] : [opts.note];
    const r = await this.act(id, t.method, ifMatch, requestKey, extra);
    if (action === 'close' && r.closed === false) {
      throw new AppError('conflict', `The work order can't be closed yet: ${r.reason || 'not settled'}.`, { code: 'DRM_NOT_SETTLED', details: { reason: r.reason || null, status: r.state, revision: r.revision } });
    }
    return this.toResult(r);
  }

  async recordDiagnosis(p: Principal, id: number, text: string, ifMatch: number | null, requestKey: string): Promise<TransitionResult> {
    this.assertRole(p, ['advisor', 'technician'], 'record a diagnosis');
    return this.toResult(await this.act(id, 'action_record_diagnosis', ifMatch, requestKey, [text]));
  }

  async createQuote(p: Principal, id: number, lines: { kind: 'labor' | 'part'; product_id?: number; description: string; qty: number; unit_price: number; discount_percent?: number; tax_ids?: number[] }[], note: string | undefined, ifMatch: number | null, requestKey: string): Promise<TransitionResult> {
    this.assertRole(p, ['advisor'], 'create a quote');
    const shop = await this.shopOf(p);
    const odooLines: QuoteLineInput[] = lines.map((l) => ({
      kind: l.kind,
      ...(l.product_id ? { product_id: l.product_id } : {}),
      description: l.description,
      qty: l.qty,
      price_unit: fromMinor(l.unit_price, shop.currency.decimals),
      discount: l.discount_percent ?? 0,
      ...(l.tax_ids ? { tax_ids: l.tax_ids } : {}),
    }));
    return this.toResult(await this.act(id, 'action_create_quote', ifMatch, requestKey, [odooLines, note]));
  }

  async sendQuote(p: Principal, id: number, version: number, ifMatch: number | null, requestKey: string): Promise<TransitionResult> {
    this.assertRole(p, ['advisor'], 'send a quote');
    return this.toResult(await this.act(id, 'action_send_quote', ifMatch, requestKey, [version]));
  }

  /** The customer decides on their own work order's latest sent version; an advisor may act on their behalf (audited in Odoo). */
  async decideQuote(p: Principal, id: number, version: number, decision: 'confirm' | 'reject', note: string | undefined, ifMatch: number | null, requestKey: string): Promise<TransitionResult> {
    if (p.kind === 'staff') this.assertRole(p, ['advisor'], `${decision} a quote on the customer's behalf`);
    else if (p.kind === 'customer') this.assertVisible(p, await this.wos.get(id), id);
    const method = decision === 'confirm' ? 'action_confirm_quote' : 'action_reject_quote';
    const extra = decision === 'confirm' ? [version] : [version, note];
    return this.toResult(await this.act(id, method, ifMatch, requestKey, extra));
  }

  async quotes(p: Principal, id: number): Promise<QuoteView[]> {
    const [wo, quotes] = await Promise.all([this.wos.get(id), this.wos.quotes(id)]);
    this.assertVisible(p, wo, id);
    const lines = await this.wos.quoteLines(quotes.map((q) => q.id));
    const shop = await this.shopFor(wo!);
    return quotes.map((q) => this.quoteView(q, lines, shop));
  }

  async quote(p: Principal, id: number, version: number): Promise<QuoteView> {
    const found = (await this.quotes(p, id)).find((q) => q.version === version);
    if (!found) throw new AppError('not_found', `Work order ${id} has no quote version ${version}.`);
    return found;
  }

  private async act(id: number, method: string, ifMatch: number | null, requestKey: string, extra: unknown[]): Promise<ActionResult> {
    try {
      return await this.wos.act(id, method, ifMatch, requestKey, extra);
    } catch (e) {
      if (e instanceof AppError && e.code === 'ODOO_MISSING') throw new AppError('not_found', `Work order ${id} not found.`);
      throw e;
    }
  }

  private toResult(r: ActionResult): TransitionResult {
    return {
      id: r.id,
      number: r.name,
      status: r.state,
      revision: r.revision,
      replayed: r.replayed === true,
      ...(r.closed !== undefined ? { closed: r.closed === true } : {}),
      ...(r.version ? { quote_version: r.version } : {}),
    };
  }

  private assertRole(p: Principal, roles: readonly StaffRole[], what: string): void {
    if (p.kind !== 'staff') throw new AppError('forbidden', `Only staff may ${what.replace(/_/g, ' ')}.`);
    if (!p.roles.includes('manager') && !p.roles.some((r) => roles.includes(r))) {
      throw new AppError('forbidden', `To ${what.replace(/_/g, ' ')} you need one of the roles: ${roles.join(', ')}.`);
    }
  }

  /** Someone else's work order is "not found" for a customer, never "forbidden". */
  private assertVisible(p: Principal, wo: WoRow | null, id: number): asserts wo is WoRow {
    if (!wo || (p.kind === 'customer' && wo.partner?.id !== p.partnerId)) throw new AppError('not_found', `Work order ${id} not found.`);
  }

  private shopOf(p: Principal): Promise<Shop> {
    return p.kind === 'staff' && p.companyId ? this.shops.get(p.companyId) : this.shops.defaultShop();
  }

  private shopFor(wo: WoRow): Promise<Shop> {
    return wo.company_id ? this.shops.get(wo.company_id) : this.shops.defaultShop();
  }

  private summary(w: WoRow, shop: Shop): WorkOrderSummary {
    const m = (v: number): Money => ({ amount: toMinor(v, shop.currency.decimals), currency: shop.currency.code });
    return {
      id: w.id,
      number: w.name,
      status: w.state,
      revision: w.revision,
      shop_id: w.company_id,
      customer: w.partner,
      vehicle: w.vehicle,
      technician: w.technician,
      symptom: w.symptom,
      total: m(w.amounts.total),
      amount_due: m(w.amounts.due),
      created_at: w.created_at,
      updated_at: w.updated_at,
    };
  }

  private quoteView(q: QuoteRow, lines: QuoteLineRow[], shop: Shop): QuoteView {
    const d = shop.currency.decimals;
    const m = (v: number): Money => ({ amount: toMinor(v, d), currency: shop.currency.code });
    return {
      version: q.version,
      status: q.state,
      untaxed: m(q.amounts.untaxed),
      tax: m(q.amounts.tax),
      total: m(q.amounts.total),
      sent_at: q.sent_at,
      decided_at: q.decided_at,
      decided_on_behalf: q.decided_on_behalf,
      note: q.note,
      created_at: q.created_at,
      lines: lines
        .filter((l) => l.quote_id === q.id)
        .map((l) => ({
          kind: l.kind,
          product: l.product,
          description: l.description,
          qty: l.qty,
          unit_price: toMinor(l.price_unit, d),
          discount_percent: l.discount,
          tax_ids: l.tax_ids,
          subtotal: toMinor(l.subtotal, d),
          tax: toMinor(l.tax, d),
          total: toMinor(l.total, d),
        })),
    };
  }

  private toDetail(w: WoRow, quotes: QuoteRow[], lines: QuoteLineRow[], log: LogRow[], parts: { product: { id: number; name: string } | null; qty_planned: number; uom: string | null }[], shop: Shop): WorkOrderDetail {
    const d = shop.currency.decimals;
    const confirmed = [...quotes].reverse().find((q) => q.state === 'confirmed');
    return {
      ...this.summary(w, shop),
      warehouse_id: w.warehouse_id,
      advisor: w.advisor,
      diagnosis: w.diagnosis,
      odometer_in: w.odometer_in,
      odometer_out: w.odometer_out,
      promised_date: w.promised_date,
      cancel_reason: w.cancel_reason,
      amounts: {
        untaxed: toMinor(w.amounts.untaxed, d),
        tax: toMinor(w.amounts.tax, d),
        total: toMinor(w.amounts.total, d),
        paid: toMinor(w.amounts.paid, d),
        due: toMinor(w.amounts.due, d),
        currency: shop.currency.code,
      },
      current_quote_version: quotes.length ? quotes[quotes.length - 1]!.version : null,
      confirmed_quote_version: confirmed?.version ?? null,
      quotes: quotes.map((q) => this.quoteView(q, lines, shop)),
      planned_parts: parts.map((pt) => ({ product: pt.product, qty: pt.qty_planned, uom: pt.uom })),
      timeline: log.map((l) => ({
        at: l.at,
        event: l.event,
        action: l.action,
        from: l.from_state,
        to: l.to_state,
        actor: { kind: l.actor_kind, user: l.actor_user, customer: l.actor_partner },
        note: l.note,
        revision: l.revision,
      })),
      delivered_at: w.delivered_at,
      closed_at: w.closed_at,
    };
  }
}
