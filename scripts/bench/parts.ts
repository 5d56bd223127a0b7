import { randomUUID } from 'node:crypto';
import { requestContext } from '../../bff/src/context';
import { PartsGateway } from '../../bff/src/integrations/odoo/parts';
import { OdooClient } from '../../bff/src/integrations/odoo/client';
import { createLogger } from '../../bff/src/logger';
import type { BenchEnv } from './env';
import { fmt, machine, sequential, type Stats } from './lib';

/**
 * Issue 4's benchmark: posting one parts issue (a validated picking) through the BFF — one Odoo call —
 * beside the direct keyed call and, on a real Odoo, the classic multi-call RPC flow (create the picking
 * with its move, confirm, assign, set quantities, validate, read back).
 */
export async function benchParts(env: BenchEnv, opts: { n: number }): Promise<string> {
  const advisor = await env.login('advisor');
  const technician = await env.login('technician');
  const keeper = await env.login('keeper');
  const keeperUid = (await env.json.authenticateUser('keeper', 'demo'))!;
  const products = await env.json.searchRead<{ id: number; free_qty: number }>('product.product', [['detailed_type', '=', 'product']], ['free_qty'], { order: 'id asc' });
  const product = products.sort((a, b) => b.free_qty - a.free_qty)[0]!.id;
  const vehicles = JSON.parse((await env.call('GET', '/api/v1/vehicles?limit=1', { token: advisor })).body) as { items: { id: number; customer_id: number }[] };
  const v = vehicles.items[0]!;
  const wo = JSON.parse((await env.call('POST', '/api/v1/work-orders', { token: advisor, body: { customer_id: v.customer_id, vehicle_id: v.id, checkin: true } })).body) as { id: number };
  await env.call('POST', `/api/v1/work-orders/${wo.id}/transitions`, { token: technician, body: { action: 'start_diagnosis' } });
  await env.call('POST', `/api/v1/work-orders/${wo.id}/quotes`, { token: advisor, body: { lines: [{ kind: 'part', product_id: product, description: 'p', qty: 1, unit_price: 100 }] } });
  await env.call('POST', `/api/v1/work-orders/${wo.id}/quotes/1/send`, { token: advisor });
  await env.call('POST', `/api/v1/work-orders/${wo.id}/quotes/1/confirm`, { token: advisor });
  await env.call('POST', `/api/v1/work-orders/${wo.id}/transitions`, { token: technician, body: { action: 'start_repair' } });
  const gw = new PartsGateway(env.json);
  const lines = [{ product_id: product, qty: 1 }];
  // Stock is finite (the seed and the setup script keep ~50 units): issue a few, give them back between phases.
  const n = Math.min(opts.n, 20);
  const giveBack = (qty: number) => asKeeper(() => gw.giveBack(wo.id, 'bench-back-' + randomUUID(), [{ product_id: product, qty }]));
  const asKeeper = <T>(fn: () => Promise<T>) => requestContext.run({ traceId: 'bench', principal: { kind: 'staff', uid: keeperUid, name: 'keeper', roles: ['keeper'], companyId: 0 } }, fn);
  const viaBff = await sequential(() => env.call('POST', `/api/v1/work-orders/${wo.id}/parts/issue`, { token: keeper, body: { lines }, headers: { 'idempotency-key': randomUUID() } }), { n, warmup: 2 });
  await giveBack(n + 2);
  const direct = await sequential(() => asKeeper(() => gw.issue(wo.id, 'bench-' + randomUUID(), lines)), { n, warmup: 2 });
  await giveBack(n + 2);
  let multi: Stats | null = null;
  if (env.real) {
    // The classic flow needs a stock user (the BFF's integration user may not write pickings: by design).
    const stock = new OdooClient({ ...env.base, transport: 'jsonrpc', user: process.env.BENCH_STOCK_USER ?? 'admin', password: process.env.BENCH_STOCK_PASSWORD ?? 'admin' }, createLogger({ silent: true }));
    const [wh] = await env.json.searchRead<{ lot_stock_id: [number, string]; out_type_id: [number, string] }>('stock.warehouse', [], ['lot_stock_id', 'out_type_id'], { limit: 1 });
    const [partner] = await env.json.searchRead<{ property_stock_customer: [number, string] }>('res.partner', [['id', '=', v.customer_id]], ['property_stock_customer']);
    const from = wh!.lot_stock_id[0];
    const to = partner!.property_stock_customer[0];
    const uom = (await env.json.searchRead<{ uom_id: [number, string] }>('product.product', [['id', '=', product]], ['uom_id']))[0]!.uom_id[0];
    const ctx = { skip_backorder: true, skip_sms: true, skip_expired: true };
    multi = await sequential(
      async () => {
        const pickingId = await stock.execute<number>('stock.picking', 'create', [
          { picking_type_id: wh!.out_type_id[0], location_id: from, location_dest_id: to, partner_id: v.customer_id, move_ids: [[0, 0, { name: 'bench', product_id: product, product_uom_qty: 1, product_uom: uom, location_id: from, location_dest_id: to }]] },
        ]);
        await stock.execute('stock.picking', 'action_confirm', [[pickingId]]);
        await stock.execute('stock.picking', 'action_assign', [[pickingId]]);
        const moves = await stock.searchRead<{ id: number }>('stock.move', [['picking_id', '=', pickingId]], ['id']);
        await stock.execute('stock.move', 'write', [moves.map((m) => m.id), { quantity: 1, picked: true }]);
        await stock.execute('stock.picking', 'button_validate', [[pickingId]], { context: ctx });
        await stock.searchRead('stock.picking', [['id', '=', pickingId]], ['state']);
      },
      { n, warmup: 2 },
    );
    stock.close();
    // The classic flow's pickings are not the work order's, so their n + 2 units stay out; scripts/odoo-setup-users.py tops stock up again.
  }
  const row = (name: string, calls: string, s: Stats) => `| ${name} | ${calls} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} |`;
  return [
    `Run ${new Date().toISOString().slice(0, 16)}Z on ${machine()}; \`npm run bench\`${env.real ? ' with ODOO_URL (real Odoo 17, one process)' : ' (Odoo mock process)'}. ${n} sequential issues of one line each, times in ms.`,
    '',
    '| path | Odoo calls | p50 | p95 | p99 |',
    '|---|---|---|---|---|',
    row('POST /work-orders/:id/parts/issue through the BFF (Idempotency-Key)', '1', viaBff),
    row('direct `action_issue_parts` (one keyed transaction)', '1', direct),
    multi ? row('classic RPC flow: create, confirm, assign, read moves, write quantities, validate, read', '6', multi) : '| classic multi-call RPC flow | 6 | — | — | — | (the mock does not expose picking validation over RPC; see the real-Odoo section) |',
  ].join('\n');
}
