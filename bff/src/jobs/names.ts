/** Every job the BFF runs. `start()` refuses to run while any of these has no handler. */
export enum JobName {
  /** Periodic sweeps: expired idempotency keys, refresh tokens, stale leases. */
  Housekeeping = 'housekeeping',
}

/** One BullMQ queue for now; its name is part of every Redis key, so it never changes. */
export enum QueueName {
  Default = 'drmoto',
}
