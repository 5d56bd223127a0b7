import { createHash } from 'node:crypto';
import { principalKey, type Principal } from '../domain/principal';
import { payloadHash } from '../domain/ledger-hash';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { AuditRepository } from '../store/audit';
import type { Db } from '../store/db';
import type { LedgerRepository } from '../store/ledger';
import type { SettlementOutboxRepository } from '../store/outbox';
import { lockWorkOrder } from '../store/work-order-lock';
import type { BalanceService } from './balance.service';
import { ledgerView, type LedgerView } from './payment.service';
import type { SettlementService } from './settlement.service';

export const OFFLINE_METHODS = ['cash', 'card_terminal', 'bank_transfer'] as const;
export type OfflineMethod = (typeof OFFLINE_METHODS)[number];

export interface OfflinePaymentInput {
  method: OfflineMethod;
  /** Minor units of the shop's currency. */
  amount: number;
  /** The terminal slip or bank transfer reference (required for those methods). */
  reference?: string;
  note?: string;
  /** Manager only: accept more than the amount due (the excess is money held, refundable). */
  allow_overpayment?: boolean;
}

export interface OfflinePaymentResult {
  work_order_id: number;
  ledger: LedgerView;
  method: OfflineMethod;
  reference: string | null;
  amount: number;
  currency: string;
  due_before: number;
  due_after: number;
  overpayment: boolean;
  replayed: boolean;
}

/** The shop's till as the "merchant account" of money taken at the counter. */
export const tillAccount = (shopId: number): string => `till:${shopId}`;

/**
 * Money a cashier takes at the counter (cash, card terminal, bank transfer): checked against the amount due under the
 * work order's lock, written as a ledger charge with its settlement outbox row and a BFF audit entry in ONE
 * transaction; Odoo registers it (and audits it) through settlement, like any other charge.
 */
export class OfflinePaymentService {
  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerRepository,
    private readonly outbox: SettlementOutboxRepository,
    private readonly audit: AuditRepository,
    private readonly balance: BalanceService,
    private readonly settlement: SettlementService,
    private readonly logger: Logger,
  ) {}

  /**
   * The provider reference of an offline payment: derived from who recorded it, the work order and the request's
   * Idempotency-Key, so a retry whose stored response was lost still lands on the same ledger row.
   */
  static txnId(p: Principal, workOrderId: number, key: string): string {
    return `off_${createHash('sha256').update(`${principalKey(p)}|${workOrderId}|${key}`).digest('hex').slice(0, 40)}`;
  }

  async record(p: Principal, workOrderId: number, input: OfflinePaymentInput, key: string, traceId?: string): Promise<OfflinePaymentResult> {
    if (p.kind !== 'staff') throw new AppError('forbidden', 'Only a cashier records offline payments.');
    if (input.allow_overpayment && !p.roles.includes('manager')) throw new AppError('forbidden', 'Only a manager may accept more than the amount due.', { code: 'OVERPAYMENT_NEEDS_MANAGER' });
    const { wo, shop, total } = await this.balance.payable(workOrderId, p);
    const currency = shop.currency.code;
    const txnId = OfflinePaymentService.txnId(p, workOrderId, key);
    const reference = input.reference ?? null;
    const reason = [input.method, reference && `ref ${reference}`, input.note].filter(Boolean).join(' · ');

    const out = await this.db.transaction(async (tx) => {
      await lockWorkOrder(tx, workOrderId);
      const known = await this.ledger.findReceipt('offline', txnId, tx);
      const before = await this.balance.balance(workOrderId, total, currency, tx);
      if (known) return { entry: known, before, inserted: false, outboxId: undefined };
      if (!input.allow_overpayment) {
        if (before.due <= 0) throw new AppError('conflict', `Work order ${wo.name} is paid.`, { code: 'NOTHING_DUE', details: { due: before.due, currency } });
        if (input.amount > before.due) {
          throw new AppError('conflict', `${input.amount} is more than the ${before.due} due (minor units, ${currency}); a manager may accept an overpayment.`, {
            code: 'AMOUNT_EXCEEDS_DUE',
            details: { due: before.due, currency },
          });
        }
      }
      const r = await this.ledger.append(tx, {
        kind: 'charge',
        amount: input.amount,
        currency,
        channel: 'offline',
        providerTxnId: txnId,
        merchantAccount: tillAccount(shop.id),
        shopId: shop.id,
        warehouseId: wo.warehouse_id ?? 0,
        workOrderId,
        actor: principalKey(p),
        reason,
        payloadHash: payloadHash(JSON.stringify({ work_order_id: workOrderId, ...input, key })),
      });
      const ob = await this.outbox.enqueue(tx, r.seq, workOrderId, 'charge');
      await this.audit.record(
        {
          action: 'payment.offline',
          traceId,
          actorKind: 'staff',
          actorId: String(p.uid),
          target: `work_order:${workOrderId}`,
          detail: { ledger_seq: r.seq, amount: input.amount, currency, method: input.method, reference, due_before: before.due, overpayment: input.amount > before.due, note: input.note ?? null },
        },
        tx,
      );
      return { entry: r.entry, before, inserted: true, outboxId: ob.entry.id };
    });

    if (out.outboxId !== undefined) {
      this.logger.info('offline payment ledgered', { work_order_id: workOrderId, ledger_seq: out.entry.seq, method: input.method, amount: input.amount });
      await this.settlement.relay(out.outboxId, traceId);
    }
    const dueBefore = out.inserted ? out.before.due : out.before.due + out.entry.amount;
    return {
      work_order_id: workOrderId,
      ledger: ledgerView(out.entry),
      method: input.method,
      reference,
      amount: out.entry.amount,
      currency: out.entry.currency,
      due_before: dueBefore,
      due_after: dueBefore - out.entry.amount,
      overpayment: out.entry.amount > dueBefore,
      replayed: !out.inserted,
    };
  }
}
