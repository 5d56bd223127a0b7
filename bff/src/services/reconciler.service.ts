import type { Logger } from '../logger';
import type { PaymentService } from './payment.service';
import type { RefundService } from './refund.service';
import type { SettlementService } from './settlement.service';
import type { StripePaymentService } from './stripe-payment.service';

/**
 * The reconciler (the reconcile job, `system:reconciler` in the ledger): what a crash, a lost job or a lost notification
 * left behind — outbox rows not yet queued, payment orders and refunds still open at the providers after `afterMs`.
 * Not to be confused with ReconcileService, the read-only ledger ↔ Odoo report of `npm run reconcile`.
 */
export class ReconcilerService {
  constructor(
    private readonly settlement: SettlementService,
    private readonly payments: PaymentService,
    private readonly refunds: RefundService,
    private readonly stripe: StripePaymentService,
    private readonly logger: Logger,
    private readonly afterMs: number,
  ) {}

  async run(): Promise<void> {
    const relayed = await this.settlement.relayPending();
    const checked = await this.payments.reconcileOpenOrders(this.afterMs);
    const refundsChecked = await this.refunds.reconcileInFlight(this.afterMs);
    const stripeChecked = await this.stripe.reconcileOpenOrders(this.afterMs);
    if (relayed || checked || refundsChecked || stripeChecked) this.logger.info('reconciled', { outbox_relayed: relayed, orders_checked: checked + stripeChecked, refunds_checked: refundsChecked });
  }
}
