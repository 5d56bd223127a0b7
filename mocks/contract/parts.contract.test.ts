import type { Principal } from '../../bff/src/domain/principal';
import { AppError } from '../../bff/src/errors';
import type { OdooClient } from '../../bff/src/integrations/odoo/client';
import { CustomerGateway, VehicleGateway } from '../../bff/src/integrations/odoo/gateways';
import { PartsGateway } from '../../bff/src/integrations/odoo/parts';
import { WorkOrderGateway } from '../../bff/src/integrations/odoo/work-orders';
import { as, openTarget, rejected, type Target, productDomain, unique } from './target';

let target: Target;
let odoo: OdooClient;
let wos: WorkOrderGateway;
let parts: PartsGateway;
const staff: Record<string, Principal> = {};
let product: number;
let service: number | undefined;

beforeAll(async () => {
  target = await openTarget();
  odoo = target.client('jsonrpc');
  wos = new WorkOrderGateway(odoo);
  parts = new PartsGateway(odoo);
  for (const login of ['advisor', 'technician', 'keeper', 'manager']) {
    const uid = await odoo.authenticateUser(login, 'demo');
    staff[login] = { kind: 'staff', uid: uid!, name: login, roles: [login as 'advisor'], companyId: 0 };
  }
  const stocked = await odoo.searchRead<{ id: number; free_qty: number }>('product.product', await productDomain(odoo, 'storable'), ['free_qty'], { order: 'id asc' });
  product = stocked.find((p) => p.free_qty >= 10)!.id;
  service = (await odoo.searchRead<{ id: number }>('product.product', await productDomain(odoo, 'service'), ['id'], { limit: 1 }))[0]?.id;
});
afterAll(async () => {
  await target?.close();
});

const freeQty = async (id: number) => (await odoo.searchRead<{ free_qty: number }>('product.product', [['id', '=', id]], ['free_qty']))[0]!.free_qty;

async function workOrder(state: 'draft' | 'in_progress' = 'in_progress'): Promise<number> {
  const partnerId = (await new CustomerGateway(odoo).upsert({ name: 'Parts ' + unique.tag(), phone: unique.phone() })).id;
  const vehicleId = await new VehicleGateway(odoo).create({ customer_id: partnerId, plate_no: unique.plate() });
  const open = await as(staff.advisor!, () => wos.open({ partner_id: partnerId, vehicle_id: vehicleId, state: state === 'draft' ? undefined : 'checkin' }, 'open-' + unique.tag()));
  if (state === 'draft') return open.id;
  let rev = open.revision;
  const act = async (p: Principal, m: string, extra: unknown[] = []) => (rev = (await as(p, () => wos.act(open.id, m, rev, 'k-' + unique.tag(), extra))).revision);
  await act(staff.technician!, 'action_start_diagnosis');
  await act(staff.advisor!, 'action_create_quote', [[{ kind: 'part', product_id: product, description: 'Part', qty: 2, price_unit: 10, discount: 0 }]]);
  await act(staff.advisor!, 'action_send_quote', [1]);
  await act(staff.advisor!, 'action_confirm_quote', [1]);
  await act(staff.technician!, 'action_start_repair');
  return open.id;
}

describe.each(['jsonrpc', 'xmlrpc'] as const)('parts over %s', (transport) => {
  let p: PartsGateway;
  beforeAll(() => {
    p = new PartsGateway(target.client(transport));
  });

  it('issue posts ONE done picking and moves stock; return brings it back; qty_issued/returned follow done moves', async () => {
    const wo = await workOrder();
    const before = await freeQty(product);
    const issued = await as(staff.keeper!, () => p.issue(wo, 'iss-' + unique.tag(), [{ product_id: product, qty: 2 }]));
    expect(issued).toEqual(expect.objectContaining({ id: wo, picking_id: expect.any(Number), picking_name: expect.any(String), state: 'done', replayed: false }));
    expect(await freeQty(product)).toBe(before - 2);
    const back = await as(staff.keeper!, () => p.giveBack(wo, 'ret-' + unique.tag(), [{ product_id: product, qty: 1 }]));
    expect(back.state).toBe('done');
    expect(back.picking_id).not.toBe(issued.picking_id);
    expect(await freeQty(product)).toBe(before - 1);
    const rows = await p.parts(wo);
    expect(rows.find((r) => r.product?.id === product)).toEqual(expect.objectContaining({ issued: 2, returned: 1, net: 1 }));
    expect((await p.pickings(wo)).map((x) => `${x.kind}:${x.state}`)).toEqual(['issue:done', 'return:done']);
  });

  it('the same key with the same lines returns the existing picking and changes nothing; other lines → DRM_DUP_KEY', async () => {
    const wo = await workOrder();
    const key = 'iss-' + unique.tag();
    const a = await as(staff.keeper!, () => p.issue(wo, key, [{ product_id: product, qty: 1 }]));
    const stock = await freeQty(product);
    const b = await as(staff.keeper!, () => p.issue(wo, key, [{ product_id: product, qty: 1 }]));
    expect(b).toEqual({ ...a, replayed: true });
    expect(await freeQty(product)).toBe(stock);
    const e = await rejected(as(staff.keeper!, () => p.issue(wo, key, [{ product_id: product, qty: 2 }])));
    expect([e.type, e.code]).toEqual(['conflict', 'DRM_DUP_KEY']);
    expect(await p.pickingCount(wo)).toBe(1);
  });

  it('over-return → 409 DRM_OVER_RETURN; insufficient stock → 409 DRM_NO_STOCK naming the product and the available quantity, no picking left', async () => {
    const wo = await workOrder();
    const over = await rejected(as(staff.keeper!, () => p.giveBack(wo, 'ret-' + unique.tag(), [{ product_id: product, qty: 1 }])));
    expect([over.type, over.code]).toEqual(['conflict', 'DRM_OVER_RETURN']);
    const free = await freeQty(product);
    const none = await rejected(as(staff.keeper!, () => p.issue(wo, 'iss-' + unique.tag(), [{ product_id: product, qty: free + 1000 }])));
    expect([none.type, none.code]).toEqual(['conflict', 'DRM_NO_STOCK']);
    expect(none.message).toMatch(new RegExp(`available ${free}\\b`));
    expect(await p.pickingCount(wo)).toBe(0);
    expect(await freeQty(product)).toBe(free);
  });

  it('guards: no issue on a draft work order (DRM_WO_STATE), a technician cannot issue (DRM_FORBIDDEN), non-storable → DRM_VALIDATION', async () => {
    const draft = await workOrder('draft');
    expect((await rejected(as(staff.keeper!, () => p.issue(draft, 'iss-' + unique.tag(), [{ product_id: product, qty: 1 }])))).code).toBe('DRM_WO_STATE');
    const wo = await workOrder();
    expect((await rejected(as(staff.technician!, () => p.issue(wo, 'iss-' + unique.tag(), [{ product_id: product, qty: 1 }])))).code).toBe('DRM_FORBIDDEN');
    const svc = service;
    if (svc) expect((await rejected(as(staff.keeper!, () => p.issue(wo, 'iss-' + unique.tag(), [{ product_id: svc, qty: 1 }])))).code).toBe('DRM_VALIDATION');
  });

  it('a technician request adds to qty_requested', async () => {
    const wo = await workOrder();
    const r = await as(staff.technician!, () => p.request(wo, 'req-' + unique.tag(), [{ product_id: product, qty: 3 }]));
    expect(r.replayed).toBe(false);
    expect((await p.parts(wo)).find((x) => x.product?.id === product)?.requested).toBe(3);
  });

  it('cancel is refused while parts are issued, and allowed after they are returned', async () => {
    const wo = await workOrder();
    await as(staff.keeper!, () => p.issue(wo, 'iss-' + unique.tag(), [{ product_id: product, qty: 2 }]));
    const rev = (await wos.get(wo))!.revision;
    const e = await rejected(as(staff.advisor!, () => wos.act(wo, 'action_cancel', rev, 'c-' + unique.tag(), ['changed mind'])));
    expect([e.type, e.code]).toEqual(['conflict', 'DRM_HAS_PARTS']);
    await as(staff.keeper!, () => p.giveBack(wo, 'ret-' + unique.tag(), [{ product_id: product, qty: 2 }]));
    const r = await as(staff.advisor!, () => wos.act(wo, 'action_cancel', rev, 'c-' + unique.tag(), ['changed mind']));
    expect(r.state).toBe('cancelled');
  });
});

describe('a lost reply', () => {
  it('an issue the BFF timed out on, retried with its key, posts one picking', async () => {
    const wo = await workOrder();
    const key = 'lost-' + unique.tag();
    const impatient = target.client('jsonrpc');
    const e = await rejected(as(staff.keeper!, () => impatient.execute('drmoto.work.order', 'action_issue_parts', [[wo], key, [{ product_id: product, qty: 1 }]], {}, { timeoutMs: 1, requestKey: key })));
    expect(e.type).toBe('dependency_unavailable');
    const r = await as(staff.keeper!, () => parts.issue(wo, key, [{ product_id: product, qty: 1 }]));
    expect(r.state).toBe('done');
    expect(await parts.pickingCount(wo, key)).toBe(1);
    expect((await parts.parts(wo)).find((x) => x.product?.id === product)?.issued).toBe(1);
  });
});

describe('concurrent duplicates of one key', () => {
  it('a burst of identical issues with one key posts one picking; the others replay it or get 409', async () => {
    const wo = await workOrder();
    const key = 'burst-' + unique.tag();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => as(staff.keeper!, () => parts.issue(wo, key, [{ product_id: product, qty: 1 }]))));
    const ok = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<PartsGateway['issue']>>> => r.status === 'fulfilled').map((r) => r.value);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as AppError);
    expect(new Set(ok.map((r) => r.picking_id)).size).toBe(1);
    expect(ok.filter((r) => !r.replayed)).toHaveLength(1);
    for (const f of failed) expect([f.type, f.code]).toEqual(['conflict', 'DRM_DUP_KEY']);
    expect(await parts.pickingCount(wo, key)).toBe(1);
    expect((await parts.parts(wo)).find((x) => x.product?.id === product)?.issued).toBe(1);
  });
});
