/** Every job the BFF runs. `start()` refuses to run while any of these has no handler. */
export enum JobName {
  /** Periodic sweeps: expired idempotency keys, refresh tokens, stale leases. */
  Housekeeping = 'housekeeping',
  /** Push one ledger entry into Odoo (sync invoices, register the payment, close): job id `settle-<outbox id>`. */
  Settle = 'settle',
  /** Walk unsettled outbox rows and open payment orders (lost jobs, lost notifications, expiry). */
  Reconcile = 'reconcile',
}

/** One BullMQ queue for now; its name is part of every Redis key, so it never changes. */
export enum QueueName {
  Default = 'drmoto',
}
