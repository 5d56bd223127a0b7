import type { LedgerChannel, LedgerKind } from '../domain/ledger-hash';
import type { Principal, StaffRole } from '../domain/principal';
import { localMidnightUtc, nextDay, toOdooDatetime } from '../domain/time';
import { AppError } from '../errors';
import type { StaffGateway } from '../integrations/odoo/gateways';
import type { DateWindow, ReportGateway } from '../integrations/odoo/reports';
import type { Shop, ShopGateway } from '../integrations/odoo/shops';
import type { DayChannelTotals, HistoryRow, PaymentQueries } from '../store/payment-queries';

/**
 * The operations reports (payments from the ledger; work orders and parts from Odoo's read_group) and the payment
 * history. Every "day" is a day in the shop's time zone (DESIGN.md §4).
 */

/** Who may read which report (managers pass every staff check). */
export const REPORT_ACCESS = {
  payments: ['cashier'],
  'work-orders': ['advisor'],
  parts: ['keeper'],
} as const satisfies Record<string, readonly StaffRole[]>;
export type ReportId = keyof typeof REPORT_ACCESS;

/** Staff who may list payments across work orders: money people only. */
export const PAYMENT_HISTORY_ROLES = ['cashier'] as const satisfies readonly StaffRole[];

/** What a customer sees of the ledger: money taken and given back, not suspense (money still under investigation). */
const CUSTOMER_KINDS: readonly LedgerKind[] = ['charge', 'refund', 'reversal'];
/** A customer's work orders considered for their history (newest first). */
const CUSTOMER_WORK_ORDERS_MAX = 1000;

export interface DateRange {
  from: string;
  to: string;
}

export interface PaymentHistoryQuery {
  shop_id?: number;
  work_order_id?: number;
  channel?: LedgerChannel[];
  kind?: LedgerKind[];
  from?: string;
  to?: string;
  /** Decoded `cursor`: the page continues below this ledger seq. */
  cursor?: number;
  limit: number;
}

export interface PaymentHistoryItem {
  id: number;
  at: string;
  kind: LedgerKind;
  channel: LedgerChannel;
  amount: number;
  currency: string;
  shop_id: number;
  work_order: { id: number; number: string | null } | null;
  out_trade_no: string | null;
  provider_ref: string | null;
  /** Staff only. */
  actor?: string;
  reason?: string | null;
}

export interface ShopView {
  id: number;
  name: string;
  tz: string;
  currency: string;
}

export interface PaymentTotals {
  charges_count: number;
  charges_amount: number;
  refunds_count: number;
  refunds_amount: number;
  reversals_amount: number;
  net_amount: number;
  suspense_amount: number;
}

export interface PaymentsReport {
  report: 'payments';
  shop: ShopView;
  from: string;
  to: string;
  rows: (PaymentTotals & { day: string; channel: LedgerChannel; currency: string })[];
  by_channel: (PaymentTotals & { channel: LedgerChannel; currency: string })[];
  by_day: (PaymentTotals & { day: string; currency: string })[];
  totals: (PaymentTotals & { currency: string })[];
}

export interface WorkOrdersReport {
  report: 'work-orders';
  shop: ShopView;
  from: string;
  to: string;
  /** Work orders created in the range, by their status now. */
  by_status: { status: string; count: number }[];
  created_total: number;
  closed_total: number;
  by_day: { day: string; created: number; closed: number }[];
}

export interface PartsRow {
  day: string;
  product: { id: number; name: string };
  uom: string;
  issued: number;
  returned: number;
  net: number;
}

export interface PartsReport {
  report: 'parts';
  shop: ShopView;
  from: string;
  to: string;
  rows: PartsRow[];
  by_product: Omit<PartsRow, 'day'>[];
}

export interface ReportLink {
  id: ReportId;
  title: string;
  href: string;
  roles: string[];
  params: string[];
  formats: string[];
}

const REPORTS: Omit<ReportLink, 'href' | 'roles'>[] = [
  { id: 'payments', title: 'Payments by channel and day (from the ledger)', params: ['from', 'to', 'shop_id'], formats: ['application/json', 'text/csv'] },
  { id: 'work-orders', title: 'Work orders by status, created and closed per day', params: ['from', 'to', 'shop_id'], formats: ['application/json', 'text/csv'] },
  { id: 'parts', title: 'Parts consumption by product and day (done stock moves)', params: ['from', 'to', 'shop_id'], formats: ['application/json', 'text/csv'] },
];

/** Shows the last 6 characters: enough to match a receipt, not enough to query the provider with. */
export function maskRef(ref: string | null): string | null {
  if (ref === null || ref === '') return null;
  return ref.length <= 8 ? '****' : `****${ref.slice(-6)}`;
}

/** Opaque keyset cursor: the last ledger seq of a page. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`p1.${seq}`).toString('base64url');
}

/** The seq in a cursor, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): number | undefined {
  const m = /^p1\.([1-9]\d{0,14})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

/** Code-unit order: the same on every machine, whatever its locale. */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const roundQty = (x: number): number => Math.round(x * 1e6) / 1e6;

const emptyTotals = (): PaymentTotals => ({ charges_count: 0, charges_amount: 0, refunds_count: 0, refunds_amount: 0, reversals_amount: 0, net_amount: 0, suspense_amount: 0 });

function addInto(t: PaymentTotals, r: DayChannelTotals): void {
  t.charges_count += r.chargesCount;
  t.charges_amount += r.chargesAmount;
  t.refunds_count += r.refundsCount;
  t.refunds_amount += r.refundsAmount;
  t.reversals_amount += r.reversalsAmount;
  t.net_amount += r.chargesAmount - r.refundsAmount - r.reversalsAmount;
  t.suspense_amount += r.suspenseAmount;
}

function groupTotals<K extends Record<string, string>>(rows: DayChannelTotals[], keyOf: (r: DayChannelTotals) => K): (PaymentTotals & K)[] {
  const out = new Map<string, PaymentTotals & K>();
  for (const r of rows) {
    const k = keyOf(r);
    const id = JSON.stringify(k);
    const t = out.get(id) ?? { ...k, ...emptyTotals() };
    addInto(t, r);
    out.set(id, t);
  }
  return [...out.values()];
}

export class ReportService {
  constructor(
    private readonly payments: PaymentQueries,
    private readonly odoo: ReportGateway,
    private readonly shops: ShopGateway,
    private readonly staff: StaffGateway,
  ) {}

  index(p: Principal, base: string): { reports: ReportLink[] } {
    const roles = p.kind === 'staff' ? p.roles : [];
    const reports = REPORTS.filter((r) => roles.includes('manager') || REPORT_ACCESS[r.id].some((role) => roles.includes(role))).map((r) => ({
      ...r,
      href: `${base}/reports/${r.id}`,
      roles: [...REPORT_ACCESS[r.id], 'manager'],
    }));
    return { reports };
  }

  // ------------------------------------------------------------------ payment history

  async paymentHistory(p: Principal, q: PaymentHistoryQuery): Promise<{ items: PaymentHistoryItem[]; next_cursor: string | null; limit: number }> {
    let page: { rows: HistoryRow[]; more: boolean };
    const staff = p.kind === 'staff';
    if (p.kind === 'staff') {
      const shop = await this.shopFor(p, q.shop_id);
      const window = q.from || q.to ? this.window(shop, q.from, q.to) : undefined;
      page = await this.payments.history(
        { shopId: shop.id, workOrderId: q.work_order_id, channels: q.channel, kinds: q.kind, fromUtc: window?.from, toUtc: window?.to, beforeSeq: q.cursor },
        q.limit,
      );
    } else if (p.kind === 'customer' && p.partnerId) {
      if (q.shop_id !== undefined) throw new AppError('forbidden', 'Customers cannot filter by shop.');
      const mine = await this.odoo.customerWorkOrderIds(p.partnerId, CUSTOMER_WORK_ORDERS_MAX);
      if (q.work_order_id !== undefined && !mine.includes(q.work_order_id)) throw new AppError('not_found', `Work order ${q.work_order_id} not found.`);
      const kinds = q.kind ? q.kind.filter((k) => CUSTOMER_KINDS.includes(k)) : [...CUSTOMER_KINDS];
      const shop = q.from || q.to ? await this.shops.defaultShop() : undefined;
      const window = shop ? this.window(shop, q.from, q.to) : undefined;
      page = kinds.length
        ? await this.payments.history(
            { workOrderIds: mine, workOrderId: q.work_order_id, channels: q.channel, kinds, fromUtc: window?.from, toUtc: window?.to, beforeSeq: q.cursor },
            q.limit,
          )
        : { rows: [], more: false };
    } else {
      throw new AppError('forbidden', 'Bind your phone number first.', { code: 'PHONE_NOT_BOUND' });
    }
    const names = await this.odoo.workOrderNames([...new Set(page.rows.flatMap((r) => (r.workOrderId === null ? [] : [r.workOrderId])))]);
    const items = page.rows.map((r): PaymentHistoryItem => {
      const provider = r.providerRefundId ?? r.providerTxnId;
      return {
        id: r.seq,
        at: r.createdAt,
        kind: r.kind,
        channel: r.channel,
        amount: r.amount,
        currency: r.currency,
        shop_id: r.shopId,
        work_order: r.workOrderId === null ? null : { id: r.workOrderId, number: names.get(r.workOrderId) ?? null },
        out_trade_no: r.outTradeNo,
        provider_ref: staff ? provider : maskRef(provider),
        ...(staff ? { actor: r.actor, reason: r.reason } : {}),
      };
    });
    const last = page.rows[page.rows.length - 1];
    return { items, next_cursor: page.more && last ? encodeCursor(last.seq) : null, limit: q.limit };
  }

  // ------------------------------------------------------------------ reports

  async paymentsReport(p: Principal, q: DateRange & { shop_id?: number }): Promise<PaymentsReport> {
    const shop = await this.shopFor(p, q.shop_id);
    const rows = await this.payments.dailyTotals(shop.id, localMidnightUtc(q.from, shop.tz), localMidnightUtc(nextDay(q.to), shop.tz), shop.tz);
    return {
      report: 'payments',
      shop: this.shopView(shop),
      from: q.from,
      to: q.to,
      rows: groupTotals(rows, (r) => ({ day: r.day, channel: r.channel, currency: r.currency })),
      by_channel: groupTotals(rows, (r) => ({ channel: r.channel, currency: r.currency })).sort((a, b) => cmp(a.channel, b.channel) || cmp(a.currency, b.currency)),
      by_day: groupTotals(rows, (r) => ({ day: r.day, currency: r.currency })),
      totals: groupTotals(rows, (r) => ({ currency: r.currency })),
    };
  }

  async workOrdersReport(p: Principal, q: DateRange & { shop_id?: number }): Promise<WorkOrdersReport> {
    const shop = await this.shopFor(p, q.shop_id);
    const w = this.odooWindow(shop, q);
    const [states, created, closed] = await Promise.all([this.odoo.workOrderStates(w), this.odoo.workOrdersCreated(w), this.odoo.workOrdersClosed(w)]);
    const days = new Map<string, { day: string; created: number; closed: number }>();
    const at = (day: string) => days.get(day) ?? days.set(day, { day, created: 0, closed: 0 }).get(day)!;
    for (const c of created) at(c.day).created += c.count;
    for (const c of closed) at(c.day).closed += c.count;
    return {
      report: 'work-orders',
      shop: this.shopView(shop),
      from: q.from,
      to: q.to,
      by_status: states.map((s) => ({ status: s.state, count: s.count })).sort((a, b) => cmp(a.status, b.status)),
      created_total: created.reduce((n, c) => n + c.count, 0),
      closed_total: closed.reduce((n, c) => n + c.count, 0),
      by_day: [...days.values()].sort((a, b) => cmp(a.day, b.day)),
    };
  }

  async partsReport(p: Principal, q: DateRange & { shop_id?: number }): Promise<PartsReport> {
    const shop = await this.shopFor(p, q.shop_id);
    const w = this.odooWindow(shop, q);
    const [issued, returned] = await Promise.all([this.odoo.partsMoves(w, 'issue'), this.odoo.partsMoves(w, 'return')]);
    const rows = new Map<string, PartsRow>();
    const products = new Map<string, Omit<PartsRow, 'day'>>();
    const add = (r: (typeof issued)[number], sign: 1 | -1) => {
      const key = `${r.day}|${r.product.id}|${r.uom.id}`;
      const row = rows.get(key) ?? rows.set(key, { day: r.day, product: r.product, uom: r.uom.name, issued: 0, returned: 0, net: 0 }).get(key)!;
      const pkey = `${r.product.id}|${r.uom.id}`;
      const prod = products.get(pkey) ?? products.set(pkey, { product: r.product, uom: r.uom.name, issued: 0, returned: 0, net: 0 }).get(pkey)!;
      for (const t of [row, prod]) {
        if (sign > 0) t.issued = roundQty(t.issued + r.qty);
        else t.returned = roundQty(t.returned + r.qty);
        t.net = roundQty(t.issued - t.returned);
      }
    };
    for (const r of issued) add(r, 1);
    for (const r of returned) add(r, -1);
    const byName = (a: { product: { name: string; id: number } }, b: { product: { name: string; id: number } }) => cmp(a.product.name, b.product.name) || a.product.id - b.product.id;
    return {
      report: 'parts',
      shop: this.shopView(shop),
      from: q.from,
      to: q.to,
      rows: [...rows.values()].sort((a, b) => cmp(a.day, b.day) || byName(a, b)),
      by_product: [...products.values()].sort(byName),
    };
  }

  // ------------------------------------------------------------------ helpers

  /** The caller's shop, or another one their Odoo user is allowed in (res.users company_ids). */
  private async shopFor(p: Principal, shopId: number | undefined): Promise<Shop> {
    if (p.kind !== 'staff') throw new AppError('forbidden', 'Staff only.');
    const own = p.companyId || (await this.shops.defaultShop()).id;
    if (shopId === undefined || shopId === own) return this.shops.get(own);
    const profile = await this.staff.profile(p.uid);
    if (!profile.company_ids.includes(shopId)) throw new AppError('forbidden', `You have no access to shop ${shopId}.`);
    return this.shops.get(shopId);
  }

  /** [local midnight of `from`, local midnight after `to`) in UTC; an open side stays undefined. */
  private window(shop: Shop, from: string | undefined, to: string | undefined): { from?: Date; to?: Date } {
    return { from: from ? localMidnightUtc(from, shop.tz) : undefined, to: to ? localMidnightUtc(nextDay(to), shop.tz) : undefined };
  }

  private odooWindow(shop: Shop, q: DateRange): DateWindow {
    const w = { from: localMidnightUtc(q.from, shop.tz), to: localMidnightUtc(nextDay(q.to), shop.tz) };
    return { shopId: shop.id, fromUtc: toOdooDatetime(w.from), toUtc: toOdooDatetime(w.to), tz: shop.tz };
  }

  private shopView(shop: Shop): ShopView {
    return { id: shop.id, name: shop.name, tz: shop.tz, currency: shop.currency.code };
  }
}
