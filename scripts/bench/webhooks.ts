import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createDb, type Db } from '../../bff/src/store/db';
import { migrate } from '../../bff/src/store/migrate';
import { PaymentOrderRepository } from '../../bff/src/store/payment-orders';
import { verifyLedger } from '../../bff/src/store/ledger-verify';
import { BullmqJobQueue } from '../../bff/src/jobs/bullmq';
import { startWechatPayMock, type WechatPayMock } from '../../mocks/wechatpay/server';
import { spawnBff, spawnOdooMock, stop } from './env';
import { cooldown, fmt, machine, maxRate, openLoop, type Stats } from './lib';

/** One pre-signed delivery: the exact bytes and headers WeChat Pay would POST. */
interface Signed {
  headers: Record<string, string>;
  body: string;
  /** index of the payment (its order) */
  payment: number;
}

export interface WebhookBenchOptions {
  /** the fixed arrival rate of the open-loop runs (b) and (c) */
  rate: number;
  durationS: number;
  /** rates tried for (a), each for `ladderDurationS` */
  ladder: number[];
  ladderDurationS: number;
  /** the Odoo mock answers this late (a real Odoo 17 here: ~12 ms a call), so settlement runs at Odoo's pace */
  odooDelayMs: number;
}

/** The BFF store the run uses: a fresh PostgreSQL schema (DATABASE_URL) or a PGlite directory, seeded before the BFF starts. */
interface BenchStore {
  kind: 'PostgreSQL' | 'PGlite';
  env: Record<string, string>;
  open(): Promise<Db>;
  drop(): Promise<void>;
}

async function benchStore(): Promise<BenchStore> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-webhooks-'));
    return { kind: 'PGlite', env: { PGLITE_DIR: dir }, open: () => createDb({ pgliteDir: dir }), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `bench_${Date.now().toString(36)}_${randomUUID().slice(0, 6)}`;
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const u = new URL(databaseUrl);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const url = u.toString();
  return {
    kind: 'PostgreSQL',
    env: { DATABASE_URL: url },
    open: () => createDb({ databaseUrl: url }),
    drop: async () => {
      const c = new Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/**
 * Issue 5's webhook benchmark (DESIGN.md §14): WeChat Pay payment notifications — signed with the platform key
 * and encrypted with the APIv3 key by the WeChat Pay mock's own code, all before the clock starts — POSTed to
 * /api/v1/webhooks/wechatpay of a BFF in its own process (PostgreSQL with DATABASE_URL, else PGlite; BullMQ with
 * REDIS_URL, else the in-process queue), each for an open payment order seeded into the store beforehand, so every
 * first delivery is verified, decrypted and ledgered as a charge with its outbox row. (b) an open loop at a fixed
 * rate; (c) the same with half of the deliveries duplicates (the same notification signed again, as WeChat's
 * retries are); (a) the highest rate held with no backlog. Settlement jobs run in the background but end at their
 * first Odoo call (the seeded work orders are not in the Odoo mock), so the figures are the acknowledgement path.
 */
export async function benchWebhooks(opts: WebhookBenchOptions): Promise<string> {
  const unique = {
    b: Math.round(opts.rate * opts.durationS),
    c: Math.round((opts.rate * opts.durationS) / 2),
    a: opts.ladder.reduce((n, r) => n + Math.round(r * opts.ladderDurationS), 0),
    warm: 500,
  };
  const totalOrders = unique.a + unique.b + unique.c + unique.warm;
  const wxpay: WechatPayMock = await startWechatPayMock({ appid: 'wx_bench_appid' });
  const store = await benchStore();
  const odoo = await spawnOdooMock({ ODOO_MOCK_REPLY_DELAY_MS: String(opts.odooDelayMs) });
  const queuePrefix = `bench-webhooks-${randomUUID().slice(0, 8)}`;
  let bff: Awaited<ReturnType<typeof spawnBff>> | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  try {
    // ---- before the clock: payment orders in the store, every notification signed and encrypted
    const outTradeNos = Array.from({ length: totalOrders }, (_, i) => `BENCH${String(i).padStart(12, '0')}`);
    const amountOf = (i: number) => 100 + (i % 900);
    const db = await store.open();
    try {
      await migrate(db);
      const orders = new PaymentOrderRepository(db);
      const timeExpire = new Date(Date.now() + 3600_000);
      for (let from = 0; from < totalOrders; from += 500) {
        await db.transaction(async (tx) => {
          for (let i = from; i < Math.min(totalOrders, from + 500); i++) {
            await orders.createOpen(tx, { outTradeNo: outTradeNos[i], workOrderId: 100_000_000 + i, shopId: 1, warehouseId: 1, merchantAccount: wxpay.merchant.mchid, channel: 'wechat', amount: amountOf(i), currency: 'CNY', timeExpire });
          }
        });
      }
    } finally {
      await db.close();
    }
    let nextOrder = 0;
    const transactionFor = (i: number): Record<string, unknown> => ({
      appid: wxpay.merchant.appid,
      mchid: wxpay.merchant.mchid,
      out_trade_no: outTradeNos[i],
      transaction_id: `4200${String(i).padStart(24, '0')}`,
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      attach: '',
      success_time: new Date().toISOString().replace(/\.\d+Z$/, '+00:00'),
      payer: { openid: 'o_bench_payer' },
      amount: { total: amountOf(i), payer_total: amountOf(i), currency: 'CNY', payer_currency: 'CNY' },
    });
    const sign = (i: number, id: string): Signed => {
      const n = wxpay.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transactionFor(i), id, summary: '支付成功' });
      return { headers: n.headers, body: n.body, payment: i };
    };
    /** `count` first deliveries of new payments (and, with `duplicates`, each signed once more), shuffled. */
    const batch = (count: number, duplicates = false): Signed[] => {
      const out: Signed[] = [];
      for (let k = 0; k < count; k++) {
        const i = nextOrder++;
        const id = randomUUID();
        out.push(sign(i, id));
        if (duplicates) out.push(sign(i, id));
      }
      if (duplicates) {
        for (let k = out.length - 1; k > 0; k--) {
          const j = Math.floor(Math.random() * (k + 1));
          [out[k], out[j]] = [out[j]!, out[k]!];
        }
      }
      return out;
    };

    bff = await spawnBff({
      ODOO_URL: odoo.url,
      ODOO_DB: 'drmoto',
      ODOO_USER: 'bff',
      ODOO_PASSWORD: 'bff',
      WECHAT_SECRET: 'bench-wechat-secret',
      WECHAT_APPID: wxpay.merchant.appid,
      // production config wants an https notify URL; nothing is ever sent to it here
      ...wxpay.env('https://bench.invalid/api/v1/webhooks/wechatpay'),
      ...store.env,
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL, QUEUE_PREFIX: queuePrefix } : {}),
    });
    const webhook = `${bff.url}/api/v1/webhooks/wechatpay`;
    let acked = 0;
    const ackedPayments = new Set<number>();
    const post = (n: Signed): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = http.request(webhook, { method: 'POST', agent, headers: { ...n.headers, 'content-length': Buffer.byteLength(n.body) } }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200 || res.statusCode === 204) {
              acked++;
              ackedPayments.add(n.payment);
              resolve();
            } else reject(new Error(`webhook answered ${res.statusCode}`));
          });
        });
        req.on('error', reject);
        req.end(n.body);
      });
    const sender = (list: Signed[]) => {
      let k = 0;
      return () => {
        const n = list[k++];
        return n ? post(n) : Promise.reject(new Error('ran out of pre-signed notifications'));
      };
    };
    // warm-up (JIT, connection pools, prepared statements): 2 s at 250/s, not measured
    await openLoop(sender(batch(500)), { rate: 250, durationS: 2, maxInFlight: 500 });

    const runs: Array<{ name: string; r: Stats & { rate: number; achieved: number; backlog: boolean } }> = [];
    await cooldown();
    runs.push({ name: `(b) ${opts.rate}/s, every notification new`, r: await openLoop(sender(batch(unique.b)), { rate: opts.rate, durationS: opts.durationS, maxInFlight: opts.rate * 2 }) });
    await cooldown();
    runs.push({ name: `(c) ${opts.rate}/s, half of them duplicates`, r: await openLoop(sender(batch(unique.c, true)), { rate: opts.rate, durationS: opts.durationS, maxInFlight: opts.rate * 2 }) });
    // (a): signed for the whole ladder up front; the notifications' timestamps stay well inside WeChat's 5 minutes
    const ladderList = batch(unique.a);
    const best = await maxRate(sender(ladderList), opts.ladder, opts.ladderDurationS);

    await stop(bff.child);
    bff = undefined;
    // ---- after: the ledger holds exactly one charge per payment acknowledged, nothing in suspense, the chain intact
    const check = await store.open();
    let ledgerLine: string;
    try {
      const kinds = (await check.query<{ kind: string; n: string }>('SELECT kind, count(*)::text AS n FROM ledger_entries GROUP BY kind ORDER BY kind')).rows;
      const charges = Number(kinds.find((k) => k.kind === 'charge')?.n ?? 0);
      const exact = charges === ackedPayments.size && kinds.every((k) => k.kind === 'charge');
      const verified = await verifyLedger(check);
      const outbox = (await check.query<{ state: string; n: string }>('SELECT state, count(*)::text AS n FROM settlement_outbox GROUP BY state ORDER BY state')).rows;
      ledgerLine =
        `Ledger after the run: ${kinds.map((k) => `${k.n} ${k.kind}`).join(', ') || 'empty'} for ${ackedPayments.size} payments acknowledged (${acked} deliveries) — ` +
        `${exact ? 'one charge each, nothing else' : 'MISMATCH'}; chain ${verified.ok ? 'verified' : `BROKEN (${verified.breaks.length} breaks)`}; ` +
        `settlement outbox: ${outbox.map((o) => `${o.n} ${o.state}`).join(', ')} (settle jobs end at their first Odoo call here).`;
    } finally {
      await check.close();
    }

    const row = (name: string, r: Stats & { achieved: number; backlog: boolean }) =>
      `| ${name} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${Math.round(r.achieved)}/s | ${r.errors} | ${r.backlog ? 'yes' : 'no'} |`;
    return [
      `Run ${new Date().toISOString().slice(0, 16)}Z on ${machine()}; \`BENCH_ONLY=webhooks npm run bench\`; store ${store.kind}, queue ${process.env.REDIS_URL ? 'BullMQ' : 'in-process'}; the BFF, the Odoo mock (answering ${opts.odooDelayMs} ms late) and the load generator each in their own process. Times in ms, from the intended send time (open loop).`,
      '',
      '| run | p50 | p95 | p99 | max | acknowledged | errors/dropped | backlog |',
      '|---|---|---|---|---|---|---|---|',
      ...runs.map((x) => row(x.name, x.r)),
      best.at ? row(`(a) highest rate held: ${best.rate}/s`, { ...best.at, achieved: best.rate, backlog: false }) : `| (a) highest rate held: none of ${opts.ladder.join('/')} per s | — | — | — | — | — | — | — |`,
      '',
      `(a) ladder ${opts.ladder.join('/')} per s, ${opts.ladderDurationS} s each, held = no backlog and p99 < 1 s. Goals (issue 5): (a) ≥ 1,000/s; (b), (c) p99 ≤ 50 ms.`,
      `Ladder steps (rate: acknowledged, p50 / p99 ms): ${best.steps.map((s) => `${s.rate}/s: ${Math.round(s.achieved)}/s, ${fmt(s.p50)} / ${fmt(s.p99)}${s.backlog || s.p99 > 1000 ? ' — not held' : ''}`).join('; ')}.`,
      ledgerLine,
    ].join('\n');
  } finally {
    if (bff) await stop(bff.child);
    agent.destroy();
    await stop(odoo.child);
    await wxpay.close();
    await store.drop();
    if (process.env.REDIS_URL) await BullmqJobQueue.obliterate({ redisUrl: process.env.REDIS_URL, prefix: queuePrefix });
  }
}
