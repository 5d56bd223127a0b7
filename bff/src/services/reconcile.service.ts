import { toMinor } from '../domain/money';
import type { OdooClient } from '../integrations/odoo/client';
import { m2oId } from '../integrations/odoo/shapes';
import { POSTED_PAYMENT_STATES } from '../integrations/odoo/payments';
import type { ShopGateway } from '../integrations/odoo/shops';
import type { Db } from '../store/db';

/**
 * `npm run reconcile` (issue 7): for every work order the ledger holds money for, Odoo's invoices, credit notes and
 * payments must add up to the ledger's balance (docs/odoo-contract.md "What a refund means"):
 *   inbound payments = ledger charges · outbound payments = ledger refunds · amount_paid = ledger net paid ·
 *   amount_credited = the credit parts of the BFF's completed refunds · invoices − credit notes = total − credited
 *   (the net price) · amount_due = total − credited − ledger net paid.
 * A work order with settlement still pending in the outbox is reported as pending, not as a mismatch.
 */

export interface WorkOrderReconciliation {
  work_order_id: number;
  name: string | null;
  currency: string;
  status: 'ok' | 'pending' | 'mismatch';
  ledger: { charges: number; refunds: number; net_paid: number; credited: number };
  odoo: { inbound: number; outbound: number; invoiced: number; credited: number; total: number; paid: number; due: number; state: string } | null;
  problems: string[];
}

export interface ReconcileResult {
  ok: boolean;
  workOrders: WorkOrderReconciliation[];
  mismatches: number;
  pending: number;
}

interface LedgerSums {
  work_order_id: number;
  currency: string;
  charges: string;
  refunds: string;
  reversals: string;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const BATCH = 200;

export class ReconcileService {
  constructor(
    private readonly db: Db,
    private readonly odoo: OdooClient,
    private readonly shops: ShopGateway,
  ) {}

  async run(): Promise<ReconcileResult> {
    const { rows: sums } = await this.db.query<LedgerSums>(
      `SELECT work_order_id, currency,
              coalesce(sum(amount) FILTER (WHERE kind = 'charge'), 0)::text AS charges,
              coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0)::text AS refunds,
              coalesce(sum(amount) FILTER (WHERE kind = 'reversal'), 0)::text AS reversals
         FROM ledger_entries WHERE work_order_id IS NOT NULL AND kind <> 'suspense'
        GROUP BY work_order_id, currency ORDER BY work_order_id`,
    );
    const { rows: pendingRows } = await this.db.query<{ work_order_id: number; n: string }>(
      `SELECT work_order_id, count(*)::text AS n FROM settlement_outbox WHERE state <> 'settled' GROUP BY work_order_id`,
    );
    const pending = new Map(pendingRows.map((r) => [r.work_order_id, Number(r.n)]));
    const { rows: creditRows } = await this.db.query<{ work_order_id: number; credit: string }>(
      `SELECT work_order_id, sum(credit_amount)::text AS credit FROM refund_requests WHERE state = 'succeeded' AND work_order_id IS NOT NULL GROUP BY work_order_id`,
    );
    const credited = new Map(creditRows.map((r) => [r.work_order_id, Number(r.credit)]));

    const out: WorkOrderReconciliation[] = [];
    for (let i = 0; i < sums.length; i += BATCH) {
      const batch = sums.slice(i, i + BATCH);
      const ids = batch.map((s) => s.work_order_id);
      const [wos, payments, moves] = await Promise.all([
        this.odoo.searchRead<Record<string, unknown>>('drmoto.work.order', [['id', 'in', ids]], ['name', 'state', 'company_id', 'amount_total', 'amount_paid', 'amount_credited', 'amount_due']),
        this.odoo.searchRead<Record<string, unknown>>('account.payment', [['drmoto_work_order_id', 'in', ids], ['state', 'in', [...POSTED_PAYMENT_STATES]]], ['drmoto_work_order_id', 'payment_type', 'amount', 'drmoto_ledger_ref']),
        this.odoo.searchRead<Record<string, unknown>>('account.move', [['drmoto_work_order_id', 'in', ids], ['state', '=', 'posted'], ['move_type', 'in', ['out_invoice', 'out_refund']]], ['drmoto_work_order_id', 'move_type', 'amount_total']),
      ]);
      for (const s of batch) {
        const wo = wos.find((w) => w.id === s.work_order_id);
        const charges = Number(s.charges);
        const refunds = -Number(s.refunds);
        const netPaid = charges - refunds + Number(s.reversals);
        const ledger = { charges, refunds, net_paid: netPaid, credited: credited.get(s.work_order_id) ?? 0 };
        const problems: string[] = [];
        if (!wo) {
          out.push({ work_order_id: s.work_order_id, name: null, currency: s.currency, status: 'mismatch', ledger, odoo: null, problems: ['work order not found in Odoo'] });
          continue;
        }
        const shop = await this.shops.get(m2oId(wo.company_id) ?? (await this.shops.defaultShop()).id);
        const d = shop.currency.decimals;
        const m = (x: unknown) => toMinor(num(x), d);
        const mine = (row: Record<string, unknown>) => m2oId(row.drmoto_work_order_id) === s.work_order_id;
        const inbound = payments.filter((p) => mine(p) && p.payment_type === 'inbound').reduce((a, p) => a + m(p.amount), 0);
        const outbound = payments.filter((p) => mine(p) && p.payment_type === 'outbound').reduce((a, p) => a + m(p.amount), 0);
        const invoiced = moves.filter(mine).reduce((a, mv) => a + (mv.move_type === 'out_invoice' ? 1 : -1) * m(mv.amount_total), 0);
        const odoo = { inbound, outbound, invoiced, credited: m(wo.amount_credited), total: m(wo.amount_total), paid: m(wo.amount_paid), due: m(wo.amount_due), state: String(wo.state) };
        if (s.currency !== shop.currency.code) problems.push(`ledger currency ${s.currency} is not the shop's ${shop.currency.code}`);
        if (odoo.inbound !== charges) problems.push(`Odoo inbound payments ${odoo.inbound} ≠ ledger charges ${charges}`);
        if (odoo.outbound !== refunds) problems.push(`Odoo outbound payments ${odoo.outbound} ≠ ledger refunds ${refunds}`);
        if (odoo.paid !== netPaid) problems.push(`Odoo amount_paid ${odoo.paid} ≠ ledger net paid ${netPaid}`);
        if (odoo.credited !== ledger.credited) problems.push(`Odoo refund credit notes ${odoo.credited} ≠ the BFF's credited refunds ${ledger.credited}`);
        const netPrice = odoo.state === 'cancelled' ? 0 : odoo.total - odoo.credited;
        if (odoo.invoiced !== netPrice) problems.push(`Odoo invoices − credit notes ${odoo.invoiced} ≠ net price ${netPrice} (total ${odoo.total} − credited ${odoo.credited})`);
        const due = odoo.total - ledger.credited - netPaid;
        if (odoo.due !== due) problems.push(`Odoo amount_due ${odoo.due} ≠ ${due} by the ledger`);
        const status = problems.length === 0 ? 'ok' : pending.has(s.work_order_id) ? 'pending' : 'mismatch';
        out.push({ work_order_id: s.work_order_id, name: typeof wo.name === 'string' ? wo.name : null, currency: s.currency, status, ledger, odoo, problems });
      }
    }
    const mismatches = out.filter((w) => w.status === 'mismatch').length;
    return { ok: mismatches === 0 && out.every((w) => w.status === 'ok'), workOrders: out, mismatches, pending: out.filter((w) => w.status === 'pending').length };
  }
}

/** One line per work order that is not ok, and a summary. */
export function formatReconcileResult(r: ReconcileResult): string {
  const lines = [`reconcile: ${r.workOrders.length} work order(s) with ledger money; ${r.mismatches} mismatch(es), ${r.pending} pending settlement`];
  for (const w of r.workOrders) {
    if (w.status === 'ok') continue;
    lines.push(`  [${w.status}] work order ${w.work_order_id}${w.name ? ` (${w.name})` : ''}: ${w.problems.join('; ')}`);
  }
  lines.push(r.ok ? 'OK: Odoo matches the ledger for every work order' : r.mismatches ? 'MISMATCH' : 'PENDING: settle the outbox, then run again');
  return lines.join('\n');
}
