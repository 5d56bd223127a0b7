import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Stats {
  n: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function stats(samples: number[], errors = 0): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! : NaN);
  return {
    n: s.length,
    errors,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    max: s.length ? s[s.length - 1]! : NaN,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN,
  };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** One connection, one request at a time: the latency of a call with nothing queued. */
export async function sequential(fn: () => Promise<unknown>, opts: { warmup?: number; n: number }): Promise<Stats> {
  for (let i = 0; i < (opts.warmup ?? 20); i++) await fn();
  const samples: number[] = [];
  let errors = 0;
  for (let i = 0; i < opts.n; i++) {
    const t = now();
    try {
      await fn();
      samples.push(now() - t);
    } catch {
      errors++;
    }
  }
  return stats(samples, errors);
}

/**
 * Open loop: requests are started at a fixed arrival rate whatever happens to earlier ones, and each
 * is timed from its *intended* start, so a stall shows up as latency of everything queued behind it
 * (no coordinated omission). `backlog` > 0 at the end means the rate was not sustained.
 */
export async function openLoop(fn: () => Promise<unknown>, opts: { rate: number; durationS: number; maxInFlight?: number }): Promise<Stats & { rate: number; achieved: number; backlog: boolean }> {
  const total = Math.round(opts.rate * opts.durationS);
  const interval = 1000 / opts.rate;
  const samples: number[] = [];
  let errors = 0;
  let inFlight = 0;
  let maxSeen = 0;
  const start = now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const intended = start + i * interval;
    const wait = intended - now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (opts.maxInFlight && inFlight >= opts.maxInFlight) {
      errors++; // dropped: the system is not keeping up
      continue;
    }
    inFlight++;
    maxSeen = Math.max(maxSeen, inFlight);
    pending.push(
      fn().then(
        () => {
          samples.push(now() - intended);
          inFlight--;
        },
        () => {
          errors++;
          inFlight--;
        },
      ),
    );
  }
  const sendEnd = now();
  await Promise.all(pending);
  const end = now();
  const s = stats(samples, errors);
  // Held without backlog: everything finished within a second of the last send and p99 stayed bounded.
  const backlog = errors > 0 || end - sendEnd > 1000;
  return { ...s, rate: opts.rate, achieved: (samples.length / (end - start)) * 1000, backlog };
}

/** Lets queues left by an overloaded run drain, so one phase's backlog doesn't count against the next. */
export function cooldown(ms = 2000): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Highest rate (from the ladder) held without backlog. */
export async function maxRate(
  fn: () => Promise<unknown>,
  ladder: number[],
  durationS = 3,
): Promise<{ rate: number; at: Stats | null; steps: Array<Stats & { rate: number; achieved: number; backlog: boolean }> }> {
  let best: { rate: number; at: Stats | null; steps: Array<Stats & { rate: number; achieved: number; backlog: boolean }> } = { rate: 0, at: null, steps: [] };
  for (const rate of ladder) {
    await cooldown();
    const r = await openLoop(fn, { rate, durationS, maxInFlight: rate * 2 });
    best.steps.push(r);
    if (r.backlog || r.p99 > 1000) {
      // The server may still be working off the step that failed: let it drain before anything else is measured.
      await drain(fn);
      break;
    }
    best = { ...best, rate, at: r };
  }
  return best;
}

/** Waits (up to 60 s) until three calls in a row answer within 50 ms: the server's queue is empty again. */
export async function drain(fn: () => Promise<unknown>): Promise<void> {
  const until = Date.now() + 60_000;
  let fast = 0;
  while (fast < 3 && Date.now() < until) {
    await cooldown(500);
    const t0 = now();
    await fn().catch(() => undefined);
    fast = now() - t0 < 50 ? fast + 1 : 0;
  }
}

export function machine(): string {
  const c = cpus();
  // the load average says whether the machine was quiet (the figures of a busy one are not comparable)
  return `${c.length} × ${c[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at the start`;
}

export const fmt = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : '—');

/** Replaces (or appends) the section `## <title>` of BENCHMARKS.md; with BENCH_DRY_RUN set, prints it instead (smoke runs). */
export function writeSection(title: string, body: string): void {
  if (process.env.BENCH_DRY_RUN) {
    process.stdout.write(`## ${title} (dry run: BENCHMARKS.md not written)\n\n${body.trim()}\n\n`);
    return;
  }
  const file = path.join(__dirname, '..', '..', 'BENCHMARKS.md');
  const current = readFileSync(file, 'utf8');
  const header = `## ${title}`;
  const section = `${header}\n\n${body.trim()}\n`;
  const start = current.indexOf(header + '\n');
  let next: string;
  if (start === -1) next = current.trimEnd() + '\n\n' + section;
  else {
    const after = current.indexOf('\n## ', start + header.length);
    next = current.slice(0, start) + section + (after === -1 ? '' : '\n' + current.slice(after + 1));
  }
  writeFileSync(file, next);
}
