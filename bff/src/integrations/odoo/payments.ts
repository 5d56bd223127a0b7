import { requestContext } from '../../context';
import type { Principal } from '../../domain/principal';
import type { OdooClient } from './client';
import { m2oId, m2oName, str } from './shapes';

export const PAYMENT_CHANNELS = ['wechat', 'stripe', 'offline'] as const;
export type PaymentChannel = (typeof PAYMENT_CHANNELS)[number];

/** `action_sync_invoices` (docs/odoo-contract.md, issue 5). `invoice_ids`: the moves this call created (0 or 1). */
export interface SyncInvoicesResult {
  id: number;
  invoice_ids: number[];
  amount_invoiced: number;
  target: number;
  replayed: boolean;
}

/** `action_register_payment`: the payment of this ledger reference and the work order's amounts now. */
export interface RegisterPaymentResult {
  id: number;
  payment_id: number;
  amount_paid: number;
  amount_due: number;
  replayed: boolean;
}

/** `action_register_refund`: the outbound payment (and credit note) of this ledger reference and the amounts now. */
export interface RegisterRefundResult {
  id: number;
  payment_id: number;
  credit_note_id: number | false;
  amount_paid: number;
  amount_refunded: number;
  amount_credited: number;
  amount_due: number;
  replayed: boolean;
}

export interface InvoiceRow {
  id: number;
  name: string;
  move_type: 'out_invoice' | 'out_refund';
  state: string;
  amount_untaxed: number;
  amount_tax: number;
  amount_total: number;
  amount_residual: number;
  payment_state: string | null;
  request_key: string | null;
  quote_id: number | null;
  reversed_entry_id: number | null;
  line_ids: number[];
  date: string | null;
}

export interface InvoiceLineRow {
  id: number;
  move_id: number;
  product_id: number | null;
  name: string;
  quantity: number;
  price_unit: number;
  discount: number;
  tax_ids: number[];
  price_subtotal: number;
  price_total: number;
}

export interface PaymentRow {
  id: number;
  name: string;
  /** in Odoo 17's words whatever the series: `posted` also for 18's `in_process` / `paid` (see paymentState) */
  state: string;
  payment_type: 'inbound' | 'outbound';
  amount: number;
  channel: PaymentChannel | null;
  ledger_ref: string | null;
  journal: { id: number; name: string } | null;
  date: string | null;
}

/** `action_close`: closed only when delivered and settled; `reason` says why not. */
export interface CloseResult {
  closed?: boolean;
  reason?: string | false;
}

/** A work order's money as the reconciliation compares it (major units, Odoo's floats). */
export interface WoMoneyRow {
  id: number;
  name: string | null;
  state: string;
  company_id: number | null;
  amount_total: number;
  amount_paid: number;
  amount_credited: number;
  amount_due: number;
}

/** A posted payment of some work order (reconciliation). */
export interface PostedPaymentRow {
  work_order_id: number | null;
  payment_type: 'inbound' | 'outbound';
  amount: number;
  ledger_ref: string | null;
}

/** A posted customer invoice or credit note of some work order (reconciliation). */
export interface PostedMoveRow {
  work_order_id: number | null;
  move_type: 'out_invoice' | 'out_refund';
  amount_total: number;
}

/** The money side of a work order as Odoo sees it. */
export interface WoMoney {
  id: number;
  state: string;
  revision: number;
  amount_total: number;
  amount_paid: number;
  amount_refunded: number;
  amount_credited: number;
  amount_due: number;
  amount_invoiced: number;
}

const SYSTEM: Principal = { kind: 'system' };
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const ids = (v: unknown) => (Array.isArray(v) ? (v as number[]) : []);
const MOVE_FIELDS = ['name', 'move_type', 'state', 'amount_untaxed', 'amount_tax', 'amount_total', 'amount_residual', 'payment_state', 'drmoto_request_key', 'drmoto_quote_id', 'reversed_entry_id', 'invoice_line_ids', 'invoice_date'];
const LINE_FIELDS = ['move_id', 'product_id', 'name', 'quantity', 'price_unit', 'discount', 'tax_ids', 'price_subtotal', 'price_total'];
const PAYMENT_FIELDS = ['name', 'state', 'payment_type', 'amount', 'drmoto_channel', 'drmoto_ledger_ref', 'journal_id', 'date'];
/**
 * The states of a posted `account.payment` on every series: Odoo 17 `posted` (the payment is its journal entry);
 * 18+ `in_process` (entry posted, not matched with a bank statement) and `paid` (matched).
 */
export const POSTED_PAYMENT_STATES = ['posted', 'in_process', 'paid'] as const;
/** A payment's state, with 18's posted states as 17's `posted`: callers need "posted or not", not the bank match. */
export const paymentState = (s: unknown): string => ((POSTED_PAYMENT_STATES as readonly unknown[]).includes(s) ? 'posted' : typeof s === 'string' ? s : '');
const MONEY_FIELDS = ['state', 'revision', 'amount_total', 'amount_paid', 'amount_refunded', 'amount_credited', 'amount_due', 'amount_invoiced'];

/**
 * Invoices and payments of work orders (docs/odoo-contract.md "Invoices, payments, closing"). The settlement job
 * calls syncInvoices → registerPayment → (WorkOrderGateway) action_close, as the system actor.
 *
 * Who acts: `actor` when given, else the current request's principal, else the system (a job without a request).
 * Both writes are safe to resend after a timeout: the sync replays by request key, the payment by ledger reference.
 * Neither moves the work order's revision.
 */
export class PaymentsGateway {
  constructor(private readonly odoo: OdooClient) {}

  /** Odoo's version: the cheapest call that proves it answers (settlement's probe while Odoo is unreachable). */
  version(timeoutMs?: number): Promise<{ server_version: string; protocol_version: number }> {
    return this.odoo.version(timeoutMs);
  }

  private actor(actor?: Principal): Principal {
    return actor ?? requestContext.get()?.principal ?? SYSTEM;
  }

  /** Brings the net invoiced amount to `latest confirmed total − refunded`: ONE posted invoice / credit note, or nothing. */
  syncInvoices(woId: number, requestKey: string, actor?: Principal): Promise<SyncInvoicesResult> {
    return this.odoo.execute<SyncInvoicesResult>('drmoto.work.order', 'action_sync_invoices', [[woId], requestKey], {}, { idempotent: true, requestKey, actor: this.actor(actor) });
  }

  /**
   * ONE posted inbound payment of `amount` (major units of the shop's currency) keyed by `ledgerRef` (unique per shop).
   * Same ref, amount, channel and work order again → the existing payment, `replayed: true`; otherwise 409 DRM_DUP_KEY.
   */
  registerPayment(woId: number, ledgerRef: string, amount: number, channel: PaymentChannel, actor?: Principal, note?: string): Promise<RegisterPaymentResult> {
    const args: unknown[] = [[woId], ledgerRef, amount, channel];
    // `note` (offline money: method, reference, cashier) goes into the Odoo audit row
    if (note !== undefined) args.push(note);
    return this.odoo.execute<RegisterPaymentResult>('drmoto.work.order', 'action_register_payment', args, {}, {
      idempotent: true,
      requestKey: `ledger/${ledgerRef}`,
      actor: this.actor(actor),
    });
  }

  /**
   * A refund from the ledger: ONE posted outbound payment of `amount` and, for `creditAmount` > 0 (the part that lowers
   * the price), ONE credit note of exactly that (major units). Same ref, amounts and channel again → replayed.
   */
  registerRefund(woId: number, ledgerRef: string, amount: number, channel: PaymentChannel, creditAmount: number, actor?: Principal): Promise<RegisterRefundResult> {
    return this.odoo.execute<RegisterRefundResult>('drmoto.work.order', 'action_register_refund', [[woId], ledgerRef, amount, channel, creditAmount], {}, {
      idempotent: true,
      requestKey: `ledger/${ledgerRef}`,
      actor: this.actor(actor),
    });
  }

  /**
   * Closes the work order when it is delivered and settled (else `closed: false` and the reason): whichever of delivery
   * and payment comes last closes it, exactly once. Safe to resend by request key.
   */
  close(woId: number, requestKey: string, actor?: Principal): Promise<CloseResult> {
    return this.odoo.execute<CloseResult>('drmoto.work.order', 'action_close', [[woId], false, requestKey], {}, { idempotent: true, requestKey, actor: this.actor(actor) });
  }

  /** The money fields of several work orders in one read (reconciliation walks the ledger in batches). */
  async moneyOf(woIds: number[]): Promise<WoMoneyRow[]> {
    if (woIds.length === 0) return [];
    const rows = await this.odoo.searchRead<Record<string, unknown>>('drmoto.work.order', [['id', 'in', woIds]], ['name', 'state', 'company_id', 'amount_total', 'amount_paid', 'amount_credited', 'amount_due']);
    return rows.map((r) => ({
      id: r.id as number,
      name: str(r.name),
      state: str(r.state) ?? '',
      company_id: m2oId(r.company_id),
      amount_total: num(r.amount_total),
      amount_paid: num(r.amount_paid),
      amount_credited: num(r.amount_credited),
      amount_due: num(r.amount_due),
    }));
  }

  /** The posted payments of several work orders in one read. */
  async postedPayments(woIds: number[]): Promise<PostedPaymentRow[]> {
    if (woIds.length === 0) return [];
    const rows = await this.odoo.searchRead<Record<string, unknown>>('account.payment', [['drmoto_work_order_id', 'in', woIds], ['state', 'in', [...POSTED_PAYMENT_STATES]]], ['drmoto_work_order_id', 'payment_type', 'amount', 'drmoto_ledger_ref']);
    return rows.map((r) => ({
      work_order_id: m2oId(r.drmoto_work_order_id),
      payment_type: r.payment_type === 'outbound' ? 'outbound' : 'inbound',
      amount: num(r.amount),
      ledger_ref: str(r.drmoto_ledger_ref),
    }));
  }

  /** The posted customer invoices and credit notes of several work orders in one read. */
  async postedMoves(woIds: number[]): Promise<PostedMoveRow[]> {
    if (woIds.length === 0) return [];
    const rows = await this.odoo.searchRead<Record<string, unknown>>('account.move', [['drmoto_work_order_id', 'in', woIds], ['state', '=', 'posted'], ['move_type', 'in', ['out_invoice', 'out_refund']]], ['drmoto_work_order_id', 'move_type', 'amount_total']);
    return rows.map((r) => ({
      work_order_id: m2oId(r.drmoto_work_order_id),
      move_type: r.move_type === 'out_refund' ? 'out_refund' : 'out_invoice',
      amount_total: num(r.amount_total),
    }));
  }

  async money(woId: number): Promise<WoMoney | null> {
    const [r] = await this.odoo.searchRead<Record<string, unknown>>('drmoto.work.order', [['id', '=', woId]], MONEY_FIELDS);
    if (!r) return null;
    return {
      id: r.id as number,
      state: str(r.state) ?? '',
      revision: num(r.revision),
      amount_total: num(r.amount_total),
      amount_paid: num(r.amount_paid),
      amount_refunded: num(r.amount_refunded),
      amount_credited: num(r.amount_credited),
      amount_due: num(r.amount_due),
      amount_invoiced: num(r.amount_invoiced),
    };
  }

  /** The work order's customer invoices and credit notes (`account.move`), oldest first. */
  async invoices(woId: number): Promise<InvoiceRow[]> {
    const rows = await this.odoo.searchRead<Record<string, unknown>>('account.move', [['drmoto_work_order_id', '=', woId], ['move_type', 'in', ['out_invoice', 'out_refund']]], MOVE_FIELDS, { order: 'id asc' });
    return rows.map((r) => ({
      id: r.id as number,
      name: str(r.name) ?? '',
      move_type: r.move_type === 'out_refund' ? 'out_refund' : 'out_invoice',
      state: str(r.state) ?? '',
      amount_untaxed: num(r.amount_untaxed),
      amount_tax: num(r.amount_tax),
      amount_total: num(r.amount_total),
      amount_residual: num(r.amount_residual),
      payment_state: str(r.payment_state),
      request_key: str(r.drmoto_request_key),
      quote_id: m2oId(r.drmoto_quote_id),
      reversed_entry_id: m2oId(r.reversed_entry_id),
      line_ids: ids(r.invoice_line_ids),
      date: str(r.invoice_date),
    }));
  }

  /** The invoice lines (`invoice_line_ids`) of some moves. */
  async invoiceLines(moveIds: number[]): Promise<InvoiceLineRow[]> {
    if (moveIds.length === 0) return [];
    const rows = await this.odoo.searchRead<Record<string, unknown>>('account.move.line', [['move_id', 'in', moveIds], ['display_type', '=', 'product']], LINE_FIELDS, { order: 'move_id asc, sequence asc, id asc' });
    return rows.map((r) => ({
      id: r.id as number,
      move_id: m2oId(r.move_id) ?? 0,
      product_id: m2oId(r.product_id),
      name: str(r.name) ?? '',
      quantity: num(r.quantity),
      price_unit: num(r.price_unit),
      discount: num(r.discount),
      tax_ids: ids(r.tax_ids),
      price_subtotal: num(r.price_subtotal),
      price_total: num(r.price_total),
    }));
  }

  /** The work order's payments (`account.payment`), oldest first; only the one of `ledgerRef` when given. */
  async payments(woId: number, ledgerRef?: string): Promise<PaymentRow[]> {
    const domain: unknown[] = [['drmoto_work_order_id', '=', woId]];
    if (ledgerRef !== undefined) domain.push(['drmoto_ledger_ref', '=', ledgerRef]);
    const rows = await this.odoo.searchRead<Record<string, unknown>>('account.payment', domain, PAYMENT_FIELDS, { order: 'id asc' });
    return rows.map((r) => ({
      id: r.id as number,
      name: str(r.name) ?? '',
      state: paymentState(r.state),
      payment_type: r.payment_type === 'outbound' ? 'outbound' : 'inbound',
      amount: num(r.amount),
      channel: (PAYMENT_CHANNELS as readonly string[]).includes(r.drmoto_channel as string) ? (r.drmoto_channel as PaymentChannel) : null,
      ledger_ref: str(r.drmoto_ledger_ref),
      journal: m2oId(r.journal_id) ? { id: m2oId(r.journal_id)!, name: m2oName(r.journal_id) ?? '' } : null,
      date: str(r.date),
    }));
  }

  /** Payments registered under a ledger reference in the whole shop (to prove there is exactly one). */
  paymentCount(ledgerRef: string): Promise<number> {
    return this.odoo.searchCount('account.payment', [['drmoto_ledger_ref', '=', ledgerRef]]);
  }
}
