/**
 * `npm run bench`: side-by-side figures, written to BENCHMARKS.md with the machine.
 * Against the Odoo mock by default; with ODOO_URL (+ ODOO_DB/ODOO_USER/ODOO_PASSWORD) against a real Odoo,
 * where rates stay under ~70% of one Odoo process's measured maximum (BENCH_MAX_RATE, default 100/s).
 * BENCH_ONLY=transport|workorders|parts runs one section; BENCH_N sets the sequential sample size (default 300).
 */
import { benchTransport } from './bench/transport';
import { benchWorkOrders } from './bench/work-orders';
import { benchParts } from './bench/parts';
import { openBenchEnv } from './bench/env';
import { writeSection } from './bench/lib';

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  const n = Number(process.env.BENCH_N ?? 300);
  const env = await openBenchEnv();
  const where = env.real ? 'real Odoo 17' : 'Odoo mock';
  const cap = Number(process.env.BENCH_MAX_RATE ?? 100);
  try {
    if (!only || only === 'transport') {
      const ladder = env.real ? [25, 50, 75, 100, 125, 150].filter((r) => r <= cap) : [250, 500, 1000, 1500, 2000, 3000, 4000];
      writeSection(`Odoo transport and BFF overhead (${where})`, await benchTransport(env, { n, ladder }));
    }
    if (!only || only === 'workorders') {
      const ladder = env.real ? [10, 25, 50, 75, 100].filter((r) => r <= cap) : [250, 500, 750, 1000, 1500, 2000];
      const rate = env.real ? Math.min(cap, 70) : 500;
      writeSection(`Work orders through the BFF vs direct Odoo calls (${where})`, await benchWorkOrders(env, { n, rate, ladder }));
    }
    if (!only || only === 'parts') {
      writeSection(`Parts issue: one keyed Odoo call vs the multi-call RPC flow (${where})`, await benchParts(env, { n }));
    }
  } finally {
    await env.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
