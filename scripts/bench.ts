/**
 * `npm run bench`: side-by-side figures, written to BENCHMARKS.md with the machine (BENCH_DRY_RUN=1 prints them instead).
 * Against the Odoo mock by default; with ODOO_URL (+ ODOO_DB/ODOO_USER/ODOO_PASSWORD) against a real Odoo,
 * where rates stay under ~70% of one Odoo process's measured maximum (BENCH_MAX_RATE, default 100/s).
 * BENCH_ONLY=transport|workorders|parts|odoomock|webhooks runs one section; BENCH_N sets the sequential sample size
 * (default 300). Webhooks: BENCH_WEBHOOK_RATE (default 500/s), BENCH_DURATION_S (default 5),
 * BENCH_WEBHOOK_LADDER (default 250,500,1000,1500,2000,2500,3000) with BENCH_LADDER_S (default 4) s per step, BENCH_ODOO_DELAY_MS
 * (default 12: the Odoo mock answers as late as the real Odoo 17 here);
 * PostgreSQL with DATABASE_URL, BullMQ with REDIS_URL.
 */
import { benchTransport } from './bench/transport';
import { benchWorkOrders } from './bench/work-orders';
import { benchParts } from './bench/parts';
import { benchOdooMock } from './bench/odoo-mock';
import { benchWebhooks } from './bench/webhooks';
import { openBenchEnv, type BenchEnv } from './bench/env';
import { writeSection } from './bench/lib';

const numbers = (v: string | undefined, def: number[]) => (v ? v.split(',').map(Number).filter((x) => x > 0) : def);

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  const n = Number(process.env.BENCH_N ?? 300);
  const wants = (section: string) => !only || only === section;
  // The BFF-with-Odoo environment only for the sections that use it.
  let env: BenchEnv | undefined;
  try {
    if (wants('transport') || wants('workorders') || wants('parts')) {
      env = await openBenchEnv();
      const where = env.real ? 'real Odoo 17' : 'Odoo mock';
      const cap = Number(process.env.BENCH_MAX_RATE ?? 100);
      if (wants('transport')) {
        const ladder = env.real ? [25, 50, 75, 100, 125, 150].filter((r) => r <= cap) : [250, 500, 1000, 1500, 2000, 3000, 4000];
        writeSection(`Odoo transport and BFF overhead (${where})`, await benchTransport(env, { n, ladder }));
      }
      if (wants('workorders')) {
        const ladder = env.real ? [5, 10, 15, 20, 30, 40, 50, 75, 100].filter((r) => r <= cap) : [250, 500, 750, 1000, 1500, 2000];
        const rate = env.real ? Math.min(cap, 70) : 500;
        writeSection(`Work orders through the BFF vs direct Odoo calls (${where})`, await benchWorkOrders(env, { n, rate, ladder, relative: env.real }));
      }
      if (wants('parts')) {
        writeSection(`Parts issue: one keyed Odoo call vs the multi-call RPC flow (${where})`, await benchParts(env, { n }));
      }
    }
    if (wants('odoomock')) {
      writeSection('Odoo mock: write calls as the database grows (transactions)', await benchOdooMock({ sizes: numbers(process.env.BENCH_SIZES, [200, 2000, 5000, 10000, 20000]), k: Math.max(n, 100), kBefore: 50 }));
    }
    if (wants('webhooks')) {
      const title = `WeChat Pay notifications: webhook throughput and latency (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`;
      writeSection(
        title,
        await benchWebhooks({
          rate: Number(process.env.BENCH_WEBHOOK_RATE ?? 500),
          durationS: Number(process.env.BENCH_DURATION_S ?? 5),
          ladder: numbers(process.env.BENCH_WEBHOOK_LADDER, [250, 500, 1000, 1500, 2000, 2500, 3000]),
          ladderDurationS: Number(process.env.BENCH_LADDER_S ?? 4),
          odooDelayMs: Number(process.env.BENCH_ODOO_DELAY_MS ?? 12),
        }),
      );
    }
  } finally {
    await env?.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
