/**
 * At most `limit` callers inside at once; the others wait in arrival order. For work that ends up serialized in the
 * database anyway (ledger appends share one advisory lock): letting every pooled connection queue on that lock only
 * adds backends to wake and switch between — on two cores, ten waiters made the tail at 1,000 appends/s seven times
 * longer than four did (BENCHMARKS.md).
 */
export class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a gate needs a positive integer limit, got ${limit}`);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same), else free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** Callers inside and waiting (tests, metrics). */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}
