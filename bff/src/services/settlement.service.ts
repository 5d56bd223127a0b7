import { fromMinor } from '../domain/money';
import { isRefusal } from '../errors';
import type { Logger } from '../logger';
import type { Principal } from '../domain/principal';
import { OdooUnavailableError } from '../integrations/odoo/errors';
import type { PaymentsGateway } from '../integrations/odoo/payments';
import { JobName } from '../jobs/names';
import { PermanentJobError, type JobQueue } from '../jobs/queue';
import type { LedgerRepository } from '../store/ledger';
import type { OutboxEntry, SettlementOutboxRepository } from '../store/outbox';
import type { RefundRequestRepository } from '../store/refund-requests';
import type { ShopGateway } from '../integrations/odoo/shops';

export interface SettleJob {
  outboxId: number;
}

export interface SettlementOptions {
  /** Age of a pending outbox row before the reconciler hands it to the queue again (default 30 s). */
  relayAfterMs?: number;
  /** Settlements this process runs against Odoo at once (default 4): a drain after an outage must not flood Odoo. */
  concurrency?: number;
  /** How often to ask Odoo whether it is back while settlement finds it unreachable (default 5 s). */
  probeIntervalMs?: number;
}

/** A counting semaphore: at most `limit` holders; the others wait in arrival order. */
class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so a newcomer can't overtake it.
      if (next) next();
      else this.active--;
    }
  }
}

const RELAY_PAGE = 500;
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
  private readonly gate: Gate;
  private readonly relayAfterMs: number;
  private readonly probeIntervalMs: number;
  /** Set while settlement finds Odoo unreachable: the probe's timer. */
  private probe?: NodeJS.Timeout;
  private healing?: Promise<number>;

  constructor(
    private readonly odoo: Pick<PaymentsGateway, 'syncInvoices' | 'registerPayment' | 'registerRefund' | 'close' | 'version'>,
    private readonly ledger: LedgerRepository,
    private readonly outbox: SettlementOutboxRepository,
    private readonly shops: ShopGateway,
    private readonly queue: JobQueue,
    private readonly logger: Logger,
    /** The refund requests hold each refund's credit part (decided when it was requested). */
    private readonly refunds?: RefundRequestRepository,
    opts: SettlementOptions = {},
  ) {
    this.gate = new Gate(Math.max(1, Math.trunc(opts.concurrency ?? 4)));
    this.relayAfterMs = opts.relayAfterMs ?? 30_000;
    this.probeIntervalMs = opts.probeIntervalMs ?? 5_000;
  }

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

  /**
   * The job handler. Throws to retry (Odoo down); PermanentJobError for what a retry can't fix. Every run that reaches
   * Odoo and fails counts one attempt on the outbox row, the authoritative count (README "When Odoo is down").
   */
  settle(outboxId: number): Promise<'settled' | 'already'> {
    return this.gate.run(() => this.settleNow(outboxId));
  }

  private async settleNow(outboxId: number): Promise<'settled' | 'already'> {
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
    const { ledgerRef, syncKey, closeKey } = SettlementService.names(await this.ledger.installationId(), entry.seq);
    try {
      // inside the try: the shop comes from Odoo, and a run that fails there counts as an attempt like any other
      const shop = await this.shops.get(entry.shopId);
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
      if (e instanceof OdooUnavailableError && e.code === 'ODOO_UNAVAILABLE') this.odooDown(message);
      throw e;
    }
  }

  /** True while settlement finds Odoo unreachable and the probe is waiting for it. */
  get odooConsideredDown(): boolean {
    return this.probe !== undefined;
  }

  /**
   * Odoo did not answer (connection refused, timeout): from now on ask it for its version every probe interval, and
   * on its first answer hand every waiting settlement to the queue at once — the rows' own backoff (up to an hour)
   * would otherwise keep money owing in Odoo long after it came back (issue 15.1).
   */
  private odooDown(error: string): void {
    if (this.probe) return;
    this.logger.warn('Odoo unreachable for settlement; probing until it answers', { error, probe_every_ms: this.probeIntervalMs });
    this.probe = setInterval(() => void this.probeOdoo(), this.probeIntervalMs);
    this.probe.unref();
  }

  private probing = false;

  private async probeOdoo(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      await this.odoo.version(Math.min(2_000, this.probeIntervalMs));
    } catch {
      return;
    } finally {
      this.probing = false;
    }
    clearInterval(this.probe);
    this.probe = undefined;
    try {
      const n = await this.heal();
      this.logger.info('Odoo answers again; waiting settlements re-queued', { outbox_rows: n });
    } catch (e) {
      // The store or the queue is down as well: the reconciler's sweep picks the rows up later.
      this.logger.warn('re-queueing settlements after Odoo came back failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  /**
   * Makes every pending outbox row due now and hands them all to the queue (the drain is bounded by the workers'
   * concurrency and this process's settlement gate). Several replicas healing at once is harmless: job ids dedupe.
   */
  heal(): Promise<number> {
    this.healing ??= (async () => {
      try {
        await this.outbox.dueNow();
        let total = 0;
        for (let afterId = 0; ; ) {
          const page = await this.outbox.pending({ limit: RELAY_PAGE, olderThanMs: 0, afterId });
          await this.handOver(page);
          total += page.length;
          if (page.length < RELAY_PAGE) return total;
          afterId = page[page.length - 1]!.id;
        }
      } finally {
        this.healing = undefined;
      }
    })();
    return this.healing;
  }

  /** Stops the probe (shutdown). */
  close(): void {
    clearInterval(this.probe);
    this.probe = undefined;
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

  /**
   * The reconciler's outbox half: rows pending and due (after crashes, lost jobs, or their backoff) go back to the
   * queue. A job that still exists runs again with its count of runs kept (`runNow`: promoted out of its backoff,
   * or one more run after failing), so the queue counts the same runs as the outbox row.
   */
  async relayPending(olderThanMs = this.relayAfterMs): Promise<number> {
    const rows = await this.outbox.pending({ limit: RELAY_PAGE, olderThanMs });
    await this.handOver(rows);
    return rows.length;
  }

  private async handOver(rows: OutboxEntry[]): Promise<void> {
    for (const r of rows) {
      const added = await this.queue.add<SettleJob>(JobName.Settle, { outboxId: r.id }, settleJobOptions(r.id));
      if (!added.added) await this.queue.runNow(SettlementService.jobId(r.id));
    }
  }
}
