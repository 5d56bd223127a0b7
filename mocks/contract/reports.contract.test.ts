/**
 * The reports' Odoo reads (docs/odoo-contract.md "Reports (issue 6)"): `read_group` with `lazy: false` and the shop's
 * `tz` in the context, on stock.move (`date:day`) and drmoto.work.order (`state`, `create_date:day`, `closed_at:day`),
 * against the mock or a real Odoo 17 (ODOO_URL). Parts are issued and returned through the addon's own methods, then
 * the keeper moves the done moves' `date` to chosen instants around a local midnight of a random far-future day, so
 * the figures are hand-computed and a rerun on the same database doesn't meet an earlier run's moves.
 */
import { randomInt } from 'node:crypto';
import type { Principal } from '../../bff/src/domain/principal';
import { localMidnightUtc, nextDay, toOdooDatetime } from '../../bff/src/domain/time';
import type { OdooClient } from '../../bff/src/integrations/odoo/client';
import { CustomerGateway, VehicleGateway } from '../../bff/src/integrations/odoo/gateways';
import { PartsGateway } from '../../bff/src/integrations/odoo/parts';
import { localDayOf, ReportGateway, type DateWindow } from '../../bff/src/integrations/odoo/reports';
import { WorkOrderGateway } from '../../bff/src/integrations/odoo/work-orders';
import { as, openTarget, type Target, unique } from './target';

let target: Target;
let odoo: OdooClient;
let keeperRpc: OdooClient;
let wos: WorkOrderGateway;
let parts: PartsGateway;
let reports: ReportGateway;
const staff: Record<string, Principal> = {};
let shopId: number;
const tz = 'Asia/Shanghai';
const product: Record<'pads' | 'oil', { id: number; name: string; uom: string }> = {} as never;

beforeAll(async () => {
  target = await openTarget();
  odoo = target.client('jsonrpc');
  // The keeper (Inventory / User) corrects the moves' dates; the integration user only reads stock.move.
  keeperRpc = target.client('jsonrpc', { login: 'keeper', password: 'demo' });
  wos = new WorkOrderGateway(odoo);
  parts = new PartsGateway(odoo);
  reports = new ReportGateway(odoo);
  for (const login of ['advisor', 'technician', 'keeper']) {
    const uid = await odoo.authenticateUser(login, 'demo');
    staff[login] = { kind: 'staff', uid: uid!, name: login, roles: [login as 'advisor'], companyId: 0 };
  }
  const [company] = await odoo.searchRead<{ id: number; drmoto_tz: string }>('res.company', [], ['drmoto_tz'], { limit: 1, order: 'id asc' });
  shopId = company!.id;
  expect(company!.drmoto_tz).toBe(tz);
  for (const [key, code] of [['pads', 'BP-F01'], ['oil', 'OIL-1L']] as const) {
    const [p] = await odoo.searchRead<{ id: number; display_name: string; uom_id: [number, string]; free_qty: number }>('product.product', [['default_code', '=', code]], ['display_name', 'uom_id', 'free_qty']);
    if (!p || p.free_qty < 10) throw new Error(`product ${code} missing or below 10 on hand: run scripts/odoo-setup-users.py (it tops stock up)`);
    product[key] = { id: p.id, name: p.display_name, uom: p.uom_id[1] };
  }
  console.info(`reports contract: ${target.kind} Odoo at ${target.url}`);
});
afterAll(async () => {
  await target?.close();
});

async function workOrderInProgress(lines: { product_id: number; qty: number }[], price = 10): Promise<number> {
  const partnerId = (await new CustomerGateway(odoo).upsert({ name: 'Reports ' + unique.tag(), phone: unique.phone() })).id;
  const vehicleId = await new VehicleGateway(odoo).create({ customer_id: partnerId, plate_no: unique.plate() });
  const open = await as(staff.advisor!, () => wos.open({ partner_id: partnerId, vehicle_id: vehicleId, state: 'checkin' }, 'open-' + unique.tag()));
  let rev = open.revision;
  const act = async (p: Principal, m: string, extra: unknown[] = []) => (rev = (await as(p, () => wos.act(open.id, m, rev, 'k-' + unique.tag(), extra))).revision);
  await act(staff.technician!, 'action_start_diagnosis');
  const quote = lines.length
    ? lines.map((l) => ({ kind: 'part', product_id: l.product_id, description: 'Part', qty: l.qty, price_unit: price, discount: 0 }))
    : [{ kind: 'labor', description: 'Free check', qty: 1, price_unit: price, discount: 0 }];
  await act(staff.advisor!, 'action_create_quote', [quote]);
  await act(staff.advisor!, 'action_send_quote', [1]);
  await act(staff.advisor!, 'action_confirm_quote', [1]);
  await act(staff.technician!, 'action_start_repair');
  return open.id;
}

/** A random day far ahead (2040–2089), so earlier runs on the same database never share it. */
function randomDay(): string {
  const y = 2040 + randomInt(0, 50);
  return `${y}-${String(randomInt(1, 13)).padStart(2, '0')}-${String(randomInt(1, 29)).padStart(2, '0')}`;
}

const windowOf = (from: string, to: string): DateWindow => ({
  shopId,
  fromUtc: toOdooDatetime(localMidnightUtc(from, tz)),
  toUtc: toOdooDatetime(localMidnightUtc(nextDay(to), tz)),
  tz,
});

/** Local wall time in Asia/Shanghai (UTC+8, no DST) → Odoo's UTC datetime text. */
const shanghai = (day: string, hhmmss: string) => toOdooDatetime(new Date(new Date(`${day}T${hhmmss}+08:00`).getTime()));

const sortRows = <T extends { day: string; product: { id: number } }>(rows: T[]) => [...rows].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.product.id - b.product.id));

describe('parts consumption: read_group on done stock moves by local day', () => {
  const D = randomDay();
  const D1 = nextDay(D);
  const D2 = nextDay(D1);
  let wo: number;

  beforeAll(async () => {
    wo = await workOrderInProgress([
      { product_id: product.pads.id, qty: 9 },
      { product_id: product.oil.id, qty: 1.5 },
    ]);
    const post = async (kind: 'issue' | 'return', lines: { product_id: number; qty: number }[], localDay: string, time: string) => {
      const r = await as(staff.keeper!, () => (kind === 'issue' ? parts.issue(wo, `${kind}-${unique.tag()}`, lines) : parts.giveBack(wo, `${kind}-${unique.tag()}`, lines)));
      expect(r.state).toBe('done');
      const moves = await odoo.searchRead<{ id: number; state: string }>('stock.move', [['picking_id', '=', r.picking_id]], ['state']);
      expect(moves.map((m) => m.state)).toEqual(moves.map(() => 'done'));
      await keeperRpc.execute('stock.move', 'write', [moves.map((m) => m.id), { date: shanghai(localDay, time) }]);
    };
    await post('issue', [{ product_id: product.pads.id, qty: 3 }], D, '23:30:00');
    await post('issue', [{ product_id: product.pads.id, qty: 2 }, { product_id: product.oil.id, qty: 1.5 }], D1, '00:30:00');
    await post('return', [{ product_id: product.pads.id, qty: 1 }], D1, '18:00:00');
    await post('issue', [{ product_id: product.pads.id, qty: 4 }], D2, '00:00:00');
  });

  it.each(['jsonrpc', 'xmlrpc'] as const)('issues and returns per local day, product and unit, as hand-computed (%s)', async (transport) => {
    const reports = new ReportGateway(target.client(transport));
    const w = windowOf(D, D1);
    const issued = sortRows(await reports.partsMoves(w, 'issue'));
    const returned = sortRows(await reports.partsMoves(w, 'return'));
    const pads = { id: product.pads.id, name: product.pads.name };
    const oil = { id: product.oil.id, name: product.oil.name };
    const uom = (name: string) => ({ id: expect.any(Number), name });
    expect(issued).toEqual(
      sortRows([
        { day: D, product: pads, uom: uom(product.pads.uom), qty: 3, moves: 1 },
        { day: D1, product: pads, uom: uom(product.pads.uom), qty: 2, moves: 1 },
        { day: D1, product: oil, uom: uom(product.oil.uom), qty: 1.5, moves: 1 },
      ]),
    );
    expect(returned).toEqual([{ day: D1, product: pads, uom: uom(product.pads.uom), qty: 1, moves: 1 }]);
    expect(await reports.partsMoves(windowOf(D2, D2), 'issue')).toEqual([{ day: D2, product: pads, uom: uom(product.pads.uom), qty: 4, moves: 1 }]);
    expect(await reports.partsMoves(windowOf(D2, D2), 'return')).toEqual([]);
  });

  it("the raw read_group answer: flat groups, en_US day labels, __range in UTC from the zone's midnight, Odoo's __domain", async () => {
    const w = windowOf(D, D);
    const domain = [
      ['company_id', '=', shopId],
      ['state', '=', 'done'],
      ['drmoto_work_order_id', '!=', false],
      ['picking_id.drmoto_kind', '=', 'issue'],
      ['date', '>=', w.fromUtc],
      ['date', '<', w.toUtc],
    ];
    const raw = await odoo.execute<Record<string, unknown>[]>('stock.move', 'read_group', [domain, ['quantity:sum'], ['date:day', 'product_id', 'product_uom']], { lazy: false }, { context: { tz } });
    const from = toOdooDatetime(localMidnightUtc(D, tz));
    const to = toOdooDatetime(localMidnightUtc(D1, tz));
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const label = `${D.slice(8, 10)} ${months[Number(D.slice(5, 7)) - 1]} ${D.slice(0, 4)}`;
    expect(raw).toEqual([
      {
        'date:day': label,
        product_id: [product.pads.id, product.pads.name],
        product_uom: [expect.any(Number), product.pads.uom],
        __count: 1,
        quantity: 3,
        __range: { 'date:day': { from, to } },
        __domain: expect.any(Array),
      },
    ]);
    const g = raw[0]!;
    const uomId = (g.product_uom as [number, string])[0];
    // expression.AND per groupby, in groupby order, over the normalized domain (6 leaves → 5 '&'):
    expect(g.__domain).toEqual([
      ...Array(3 + 5).fill('&'),
      ...domain,
      '&', ['date', '>=', from], ['date', '<', to],
      ['product_id', '=', product.pads.id],
      ['product_uom', '=', uomId],
    ]);
    expect(localDayOf(from, tz)).toBe(D);
  });
});

describe('work orders: read_group by state, create_date:day and closed_at:day', () => {
  // Created and closed now: the window is today in the shop's zone (the counts are compared before and after).
  const today = localDayOf(toOdooDatetime(new Date()), tz);

  it('a new work order counts once under its state and under today, created and closed', async () => {
    const w = windowOf(today, today);
    const total = (rows: { count: number }[]) => rows.reduce((n, r) => n + r.count, 0);
    const before = { states: await reports.workOrderStates(w), created: await reports.workOrdersCreated(w), closed: await reports.workOrdersClosed(w) };
    // A free check-up: nothing to pay, so delivery closes it (action_deliver → action_close, settled at 0).
    const id = await workOrderInProgress([], 0);
    let rev = (await wos.get(id))!.revision;
    rev = (await as(staff.technician!, () => wos.act(id, 'action_mark_ready', rev, 'k-' + unique.tag()))).revision;
    const delivered = await as(staff.advisor!, () => wos.act(id, 'action_deliver', rev, 'k-' + unique.tag()));
    expect(delivered.state).toBe('closed');
    const open = await workOrderInProgress([], 10);
    expect((await wos.get(open))!.state).toBe('in_progress');

    const after = { states: await reports.workOrderStates(w), created: await reports.workOrdersCreated(w), closed: await reports.workOrdersClosed(w) };
    const countOf = (rows: { state: string; count: number }[], s: string) => rows.find((r) => r.state === s)?.count ?? 0;
    expect(countOf(after.states, 'closed') - countOf(before.states, 'closed')).toBe(1);
    expect(countOf(after.states, 'in_progress') - countOf(before.states, 'in_progress')).toBe(1);
    expect(total(after.states) - total(before.states)).toBe(2);
    expect(after.created.map((c) => c.day)).toEqual([today]);
    expect(total(after.created) - total(before.created)).toBe(2);
    expect(after.closed.map((c) => c.day)).toEqual([today]);
    expect(total(after.closed) - total(before.closed)).toBe(1);
    // every state group is one of the workflow's states, with a positive count (no group_expand fill over RPC)
    for (const s of after.states) {
      expect(['draft', 'checkin', 'diagnosing', 'quoted', 'in_progress', 'ready', 'delivered', 'closed', 'cancelled']).toContain(s.state);
      expect(s.count).toBeGreaterThan(0);
    }
  });

  it("the raw answer: `__count` and `__range` of the zone's day, as Odoo sends them", async () => {
    const w = windowOf(today, today);
    const domain = [['company_id', '=', shopId], ['create_date', '>=', w.fromUtc], ['create_date', '<', w.toUtc]];
    const raw = await odoo.execute<Record<string, unknown>[]>('drmoto.work.order', 'read_group', [domain, [], ['create_date:day']], { lazy: false }, { context: { tz } });
    expect(raw).toHaveLength(1);
    expect(Object.keys(raw[0]!).sort()).toEqual(['__count', '__domain', '__range', 'create_date:day']);
    expect(raw[0]!.__range).toEqual({ 'create_date:day': { from: w.fromUtc, to: w.toUtc } });
    const states = await odoo.execute<Record<string, unknown>[]>('drmoto.work.order', 'read_group', [domain, [], ['state']], { lazy: false }, { context: { tz } });
    for (const g of states) expect(Object.keys(g).sort()).toEqual(['__count', '__domain', 'state']);
  });
});

describe('history reads: a customer\'s work orders and work-order numbers', () => {
  it('search by partner (as the customer) and names by id', async () => {
    const partnerId = (await new CustomerGateway(odoo).upsert({ name: 'History ' + unique.tag(), phone: unique.phone() })).id;
    const vehicleId = await new VehicleGateway(odoo).create({ customer_id: partnerId, plate_no: unique.plate() });
    const a = await as(staff.advisor!, () => wos.open({ partner_id: partnerId, vehicle_id: vehicleId }, 'open-' + unique.tag()));
    const b = await as(staff.advisor!, () => wos.open({ partner_id: partnerId, vehicle_id: vehicleId }, 'open-' + unique.tag()));
    const customer: Principal = { kind: 'customer', identityId: 0, partnerId };
    expect(await as(customer, () => reports.customerWorkOrderIds(partnerId, 1000))).toEqual([b.id, a.id]);
    expect(await as(customer, () => reports.customerWorkOrderIds(partnerId, 1))).toEqual([b.id]);
    const names = await as(customer, () => reports.workOrderNames([a.id, b.id, 2_000_000_000]));
    expect([...names.keys()].sort((x, y) => x - y)).toEqual([a.id, b.id]);
    expect(names.get(a.id)).toBe(a.name);
  });
});
