import type { Principal } from '../../bff/src/domain/principal';
import type { OdooClient } from '../../bff/src/integrations/odoo/client';
import { CustomerGateway, VehicleGateway } from '../../bff/src/integrations/odoo/gateways';
import { MediaGateway, type MediaVals } from '../../bff/src/integrations/odoo/media';
import { WorkOrderGateway } from '../../bff/src/integrations/odoo/work-orders';
import { as, openTarget, rejected, type Target, unique } from './target';

/** drmoto.work.order.action_add_media, the media model and the shop's check-in photo minimum (docs/odoo-contract.md "Media"). */
let target: Target;
let odoo: OdooClient;
let admin: OdooClient;
let wos: WorkOrderGateway;
const staff: Record<string, Principal> = {};
const system: Principal = { kind: 'system' };
const customerP = (partnerId: number): Principal => ({ kind: 'customer', identityId: 1, partnerId });

beforeAll(async () => {
  target = await openTarget();
  odoo = target.client('jsonrpc');
  admin = target.client('jsonrpc', { login: 'admin', password: 'admin' });
  wos = new WorkOrderGateway(odoo);
  for (const login of ['advisor', 'technician', 'keeper', 'cashier', 'manager']) {
    const uid = await odoo.authenticateUser(login, 'demo');
    staff[login] = { kind: 'staff', uid: uid!, name: login, roles: [login as 'advisor'], companyId: 0 };
  }
});
afterAll(async () => {
  await target?.close();
});

async function openWo(): Promise<{ id: number; partnerId: number; revision: number; company: number }> {
  const partnerId = (await new CustomerGateway(odoo).upsert({ name: 'Media ' + unique.tag(), phone: unique.phone() })).id;
  const vehicleId = await new VehicleGateway(odoo).create({ customer_id: partnerId, plate_no: unique.plate() });
  const open = await as(staff.advisor!, () => wos.open({ partner_id: partnerId, vehicle_id: vehicleId, state: 'checkin' }, 'open-' + unique.tag()));
  const wo = await wos.get(open.id);
  return { id: open.id, partnerId, revision: open.revision, company: wo!.company_id! };
}

const vals = (woId: number, extra: Partial<MediaVals> = {}): MediaVals => ({
  object_key: `work-orders/${woId}/${unique.tag()}.jpg`,
  name: 'front.jpg',
  content_type: 'image/jpeg',
  size: 2048,
  kind: 'checkin_photo',
  ...extra,
});

describe.each(['jsonrpc', 'xmlrpc'] as const)('media over %s', (transport) => {
  let media: MediaGateway;
  beforeAll(() => {
    media = new MediaGateway(target.client(transport));
  });

  it('records one media row with the actor; the same key replays; other vals → DRM_DUP_KEY; the revision stays', async () => {
    const wo = await openWo();
    const v = vals(wo.id);
    const key = 'm-' + unique.tag();
    const first = await as(staff.technician!, () => media.add(wo.id, key, v));
    expect(first).toEqual({ id: wo.id, media_id: expect.any(Number), replayed: false });
    expect(await as(staff.technician!, () => media.add(wo.id, key, { ...v }))).toEqual({ ...first, replayed: true });
    const e = await rejected(as(staff.technician!, () => media.add(wo.id, key, { ...v, size: 4096 })));
    expect([e.type, e.code]).toEqual(['conflict', 'DRM_DUP_KEY']);

    const rows = await media.list(wo.id);
    expect(rows).toEqual([
      expect.objectContaining({ id: first.media_id, work_order_id: wo.id, object_key: v.object_key, name: 'front.jpg', content_type: 'image/jpeg', size: 2048, kind: 'checkin_photo', actor_kind: 'staff', actor_partner: null, uploaded_at: expect.stringMatching(/Z$/) }),
    ]);
    expect(rows[0]!.actor_user?.id).toBe((staff.technician as { uid: number }).uid);
    const [row] = await odoo.searchRead<Record<string, unknown>>('drmoto.work.order', [['id', '=', wo.id]], ['revision', 'media_count', 'checkin_photo_count']);
    expect(row).toEqual(expect.objectContaining({ revision: wo.revision, media_count: 1, checkin_photo_count: 1 }));
    const [m] = await odoo.searchRead<Record<string, unknown>>('drmoto.work.order.media', [['id', '=', first.media_id]], ['request_key', 'company_id', 'user_id']);
    expect(m!.request_key).toBe(key);
    expect(Array.isArray(m!.company_id) && m!.company_id[0]).toBe(wo.company);
  });

  it('the object key is unique across work orders: DRM_DUP_KEY', async () => {
    const wo = await openWo();
    const v = vals(wo.id);
    await as(staff.advisor!, () => media.add(wo.id, 'm-' + unique.tag(), v));
    const e = await rejected(as(staff.advisor!, () => media.add(wo.id, 'm-' + unique.tag(), v)));
    expect([e.type, e.code]).toEqual(['conflict', 'DRM_DUP_KEY']);
  });

  it('bad vals → DRM_VALIDATION, nothing recorded', async () => {
    const wo = await openWo();
    const other = await openWo();
    for (const bad of [
      vals(wo.id, { object_key: `work-orders/${other.id}/x.jpg` }),
      vals(wo.id, { object_key: `work-orders/${wo.id}/../x.jpg` }),
      vals(wo.id, { content_type: 'application/pdf' }),
      vals(wo.id, { size: 0 }),
      vals(wo.id, { kind: 'selfie' as MediaVals['kind'] }),
      { ...vals(wo.id), url: 'http://x' } as MediaVals,
    ]) {
      const e = await rejected(as(staff.advisor!, () => media.add(wo.id, 'm-' + unique.tag(), bad)));
      expect([e.type, e.code, bad]).toEqual(['unprocessable', 'DRM_VALIDATION', bad]);
    }
    expect(await media.countByKey(wo.id)).toBe(0);
  });

  it('who may add: advisor, technician, manager; the owning customer damage/other only; never keeper, cashier, system, another customer', async () => {
    const wo = await openWo();
    for (const p of [staff.keeper!, staff.cashier!, system, customerP(wo.partnerId + 100_000)]) {
      const e = await rejected(as(p, () => media.add(wo.id, 'm-' + unique.tag(), vals(wo.id))));
      expect([e.type, e.code]).toEqual(['forbidden', 'DRM_FORBIDDEN']);
    }
    const e = await rejected(as(customerP(wo.partnerId), () => media.add(wo.id, 'm-' + unique.tag(), vals(wo.id, { kind: 'checkin_photo' }))));
    expect([e.type, e.code]).toEqual(['forbidden', 'DRM_FORBIDDEN']);
    for (const p of [staff.advisor!, staff.technician!, staff.manager!]) await as(p, () => media.add(wo.id, 'm-' + unique.tag(), vals(wo.id)));
    const mine = await as(customerP(wo.partnerId), () => media.add(wo.id, 'm-' + unique.tag(), vals(wo.id, { kind: 'damage' })));
    expect(mine.replayed).toBe(false);
    const rows = await media.list(wo.id);
    expect(rows.map((r) => r.actor_kind)).toEqual(['staff', 'staff', 'staff', 'customer']);
    expect(rows[3]!.actor_partner?.id).toBe(wo.partnerId);
  });

  it('no media on a cancelled work order: DRM_WO_STATE naming the state', async () => {
    const wo = await openWo();
    await as(staff.advisor!, () => wos.act(wo.id, 'action_cancel', wo.revision, 'c-' + unique.tag(), ['gone']));
    const e = await rejected(as(staff.advisor!, () => media.add(wo.id, 'm-' + unique.tag(), vals(wo.id))));
    expect([e.type, e.code]).toEqual(['conflict', 'DRM_WO_STATE']);
    expect(e.message).toContain("'cancelled'");
  });

  it('metadata is immutable (but name and kind, for managers): DRM_FORBIDDEN', async () => {
    const wo = await openWo();
    const { media_id } = await as(staff.advisor!, () => media.add(wo.id, 'm-' + unique.tag(), vals(wo.id)));
    const e = await rejected(as(staff.manager!, () => target.client(transport).execute('drmoto.work.order.media', 'write', [[media_id], { size: 1 }])));
    expect([e.type, e.code]).toEqual(['forbidden', 'DRM_FORBIDDEN']);
    await target.client(transport).execute('drmoto.work.order.media', 'write', [[media_id], { kind: 'damage' }]);
    expect((await media.list(wo.id))[0]!.kind).toBe('damage');
  });
});

describe("the shop's minimum of check-in photos before the diagnosis", () => {
  let company: number;
  const setMinimum = (n: number) => admin.execute('res.company', 'write', [[company], { drmoto_min_checkin_photos: n }]);
  beforeAll(async () => {
    company = (await openWo()).company;
  });
  afterEach(async () => {
    await setMinimum(0);
  });

  it.each(['jsonrpc', 'xmlrpc'] as const)('%s: checkin → diagnosing needs N check-in photos (DRM_MEDIA_REQUIRED, 409), other kinds do not count', async (transport) => {
    const client = target.client(transport);
    const w = new WorkOrderGateway(client);
    const media = new MediaGateway(client);
    await setMinimum(2);
    const wo = await openWo();
    await as(staff.advisor!, () => media.add(wo.id, 'm-' + unique.tag(), vals(wo.id)));
    await as(staff.advisor!, () => media.add(wo.id, 'm-' + unique.tag(), vals(wo.id, { kind: 'damage' })));
    const e = await rejected(as(staff.technician!, () => w.act(wo.id, 'action_start_diagnosis', wo.revision, 'd-' + unique.tag())));
    expect([e.type, e.code]).toEqual(['conflict', 'DRM_MEDIA_REQUIRED']);
    expect(e.message).toMatch(/has 1 check-in photo\(s\); .* requires 2 before the diagnosis/);
    expect((await w.get(wo.id))!.state).toBe('checkin');
    await as(staff.technician!, () => media.add(wo.id, 'm-' + unique.tag(), vals(wo.id)));
    const ok = await as(staff.technician!, () => w.act(wo.id, 'action_start_diagnosis', wo.revision, 'd-' + unique.tag()));
    expect(ok.state).toBe('diagnosing');
  });

  it('0 is off; the state check comes first; a negative minimum is refused (DRM_VALIDATION)', async () => {
    const wo = await openWo();
    expect((await as(staff.technician!, () => wos.act(wo.id, 'action_start_diagnosis', wo.revision, 'd-' + unique.tag()))).state).toBe('diagnosing');
    await setMinimum(3);
    const e = await rejected(as(staff.technician!, () => wos.act(wo.id, 'action_start_diagnosis', null, 'd-' + unique.tag())));
    expect([e.type, e.code]).toEqual(['conflict', 'DRM_WO_STATE']);
    const neg = await rejected(setMinimum(-1));
    expect([neg.type, neg.code]).toEqual(['unprocessable', 'DRM_VALIDATION']);
  });
});
