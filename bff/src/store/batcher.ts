/** One item's outcome in a batch: its value, or the error that concerns it alone. */
export type BatchResult<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface BatcherOptions {
  /** Batches in flight at once. */
  concurrency: number;
  /** Items per batch at most. */
  maxBatch: number;
}

/**
 * Sends items as they come while fewer than `concurrency` batches are in flight, and gathers the items that arrive
 * meanwhile into the next batch — so a lone item goes at once (no timer, no added latency) and batches grow only
 * under load. For work that serializes in the database anyway (ledger appends share one advisory lock): a batch pays
 * for one lock hand-over and one commit, and fewer waiters means no convoy of backends on two cores.
 */
export class Batcher<I, O> {
  private readonly queue: Array<{ item: I; resolve: (value: O) => void; reject: (error: unknown) => void }> = [];
  private running = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<Array<BatchResult<O>>>,
    readonly opts: BatcherOptions,
  ) {
    for (const [name, value] of Object.entries(opts)) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Items waiting and batches in flight (tests, metrics). */
  get load(): { waiting: number; running: number } {
    return { waiting: this.queue.length, running: this.running };
  }

  private pump(): void {
    while (this.running < this.opts.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.running++;
      const settle = (results: Array<BatchResult<O>>) =>
        batch.forEach((entry, i) => {
          const r = results[i];
          if (!r) entry.reject(new Error(`batch of ${batch.length} returned ${results.length} results`));
          else if (r.ok) entry.resolve(r.value);
          else entry.reject(r.error);
        });
      Promise.resolve()
        .then(() => this.run(batch.map((entry) => entry.item)))
        .then(settle, (error: unknown) => batch.forEach((entry) => entry.reject(error)))
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}
