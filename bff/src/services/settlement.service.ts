import { fromMinor } from '../domain/money';
import { isRefusal } from '../errors';
import type { Logger } from '../logger';
import type { Principal } from '../domain/principal';
import type { PaymentsGateway } from '../integrations/odoo/payments';
import { JobName } from '../jobs/names';
import { PermanentJobError, type JobQueue } from '../jobs/queue';
import type { LedgerRepository } from '../store/ledger';
import type { SettlementOutboxRepository } from '../store/outbox';
import type { RefundRequestRepository } from '../store/refund-requests';
import type { ShopGateway } from '../integrations/odoo/shops';

export interface SettleJob {
  outboxId: number;
}

// Settlement acts as the system even when a request (a staff member delivering) runs it inline.
const SYSTEM: Principal = { kind: 'system' };

const settleJobOptions = (outboxId: number, traceId?: string) => ({ jobId: SettlementService.jobId(outboxId), attempts: 8, backoffMs: 2_000, traceId });

/**
 * Settlement: the ledger is payment truth; Odoo follows it. For each ledger charge the job (as the
 * system actor) syncs the invoices, registers the payment (idempotent by the ledger reference) and
 * asks Odoo to close — which closes only a delivered and settled work order, so exactly once,
 * whichever of delivery and payment comes last.
 */
export class SettlementService {
  private readonly relayBatch = new Map<number, string | undefined>();
  private relayFlush?: Promise<void>;

  constructor(
    private readonly odoo: Pick<PaymentsGateway, 'syncInvoices' | 'registerPayment' | 'registerRefund' | 'close'>,
    private readonly ledger: LedgerRepository,
    private readonly outbox: SettlementOutboxRepository,
    private readonly shops: ShopGateway,
    private readonly queue: JobQueue,
    private readonly logger: Logger,
    /** The refund requests hold each refund's credit part (decided when it was requested). */
    private readonly refunds?: RefundRequestRepository,
  ) {}

  /**
   * The names of a ledger row's Odoo calls: `ledger-<installation>-<seq>` (the payment's or refund's ledger reference,
   * which Odoo keeps unique and replays) and the sync/close request keys. The installation id keeps a second store
   * (or a restored one) from reusing a name Odoo already answered.
   */
  static names(installation: string, seq: number): { ledgerRef: string; syncKey: string; closeKey: string } {
    return { ledgerRef: `ledger-${installation}-${seq}`, syncKey: `settle-${installation}-${seq}/sync`, closeKey: `settle-${installation}-${seq}/close` };
  }

  static jobId(outboxId: number): string {
    return `settle-${outboxId}`;
  }

  /**
   * The relay after a commit: hands the outbox row to the queue together with the others committed in the same turn
   * of the event loop (one Redis transaction for all of them, not two round trips each). Never rejects: when the
   * queue is down the row stays pending in the outbox and the reconciler hands it over later (logged here).
   */
  relay(outboxId: number, traceId?: string): Promise<void> {
    this.relayBatch.set(outboxId, traceId);
    this.relayFlush ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        const batch = [...this.relayBatch];
        this.relayBatch.clear();
        this.relayFlush = undefined;
        this.queue
          .addBulk<SettleJob>(JobName.Settle, batch.map(([id, trace]) => ({ data: { outboxId: id }, opts: settleJobOptions(id, trace) })))
          .catch((e: unknown) =>
            this.logger.warn('settle jobs not queued; the reconciler will', { outbox_ids: batch.map(([id]) => id), error: e instanceof Error ? e.message : String(e) }),
          )
          .finally(resolve);
      });
    });
    return this.relayFlush;
  }

  /** The job handler. Throws to retry (Odoo down); PermanentJobError for what a retry can't fix. */
  async settle(outboxId: number): Promise<'settled' | 'already'> {
    const row = await this.outbox.get(outboxId);
    if (!row) throw new PermanentJobError(`outbox row ${outboxId} does not exist`);
    if (row.state === 'settled') return 'already';
    const entry = await this.ledger.get(row.ledgerSeq);
    if (!entry) throw new PermanentJobError(`ledger entry ${row.ledgerSeq} does not exist`);
    if (!entry.workOrderId) {
      await this.outbox.markSettled(outboxId);
      return 'settled';
    }
    const wo = entry.workOrderId;
    const shop = await this.shops.get(entry.shopId);
    const { ledgerRef, syncKey, closeKey } = SettlementService.names(await this.ledger.installationId(), entry.seq);
    try {
      await this.odoo.syncInvoices(wo, syncKey, SYSTEM);
      if (entry.kind === 'charge') {
        // Counter money is audited in Odoo too: the note names the method, the reference and the cashier.
        const note = entry.channel === 'offline' ? `${entry.reason ?? 'offline'} (recorded by ${entry.actor})` : undefined;
        await this.odoo.registerPayment(wo, ledgerRef, fromMinor(entry.amount, shop.currency.decimals), entry.channel, SYSTEM, note);
      }
      if (entry.kind === 'refund') {
        const request = await this.refunds?.getByLedgerSeq(entry.seq);
        if (!request) throw new PermanentJobError(`ledger refund ${entry.seq} has no refund request`);
        const d = shop.currency.decimals;
        await this.odoo.registerRefund(wo, ledgerRef, fromMinor(-entry.amount, d), entry.channel, fromMinor(request.creditAmount, d), SYSTEM);
      }
      const close = await this.odoo.close(wo, closeKey, SYSTEM);
      await this.outbox.markSettled(outboxId);
      this.logger.info('settled', { outbox_id: outboxId, ledger_seq: entry.seq, work_order_id: wo, closed: close.closed === true, reason: close.reason || undefined });
      return 'settled';
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (isRefusal(e)) {
        // Odoo refused for a business reason (e.g. the work order was cancelled): a retry won't help.
        await this.outbox.markFailed(outboxId, `${e.code ?? e.type}: ${message}`);
        throw new PermanentJobError(`settlement of outbox ${outboxId} refused by Odoo: ${e.code ?? e.type}: ${message}`);
      }
      await this.outbox.recordAttempt(outboxId, message);
      throw e;
    }
  }

  /**
   * Settles a work order's pending rows now (the deliver route calls this first, so a payment already
   * in the ledger is never taken for money owing). Failures are left to the queue.
   */
  async settleWorkOrderNow(workOrderId: number): Promise<number> {
    const pending = await this.outbox.pendingForWorkOrder(workOrderId);
    let done = 0;
    for (const row of pending) {
      try {
        await this.settle(row.id);
        done++;
      } catch (e) {
        this.logger.warn('synchronous settlement failed; the queue retries it', { outbox_id: row.id, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return done;
  }

  /** The reconciler's outbox half: rows still pending after crashes or lost jobs go back to the queue. */
  async relayPending(olderThanMs = 30_000): Promise<number> {
    const rows = await this.outbox.pending({ limit: 500, olderThanMs });
    for (const r of rows) {
      const added = await this.queue.add<SettleJob>(JobName.Settle, { outboxId: r.id }, settleJobOptions(r.id));
      // The job id exists (completed earlier, or failed): retry it explicitly.
      if (!added.added) await this.queue.retry(SettlementService.jobId(r.id));
    }
    return rows.length;
  }
}
