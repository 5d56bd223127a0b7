import type { Principal } from '../../bff/src/domain/principal';
import { AppError, isRefusal } from '../../bff/src/errors';
import type { OdooClient } from '../../bff/src/integrations/odoo/client';
import { CustomerGateway, VehicleGateway } from '../../bff/src/integrations/odoo/gateways';
import { WorkOrderGateway, type ActionResult } from '../../bff/src/integrations/odoo/work-orders';
import { as, openTarget, rejected, type Target, productDomain, unique, WorkOrderDriver } from './target';

let target: Target;
let odoo: OdooClient;
let wos: WorkOrderGateway;
const staff: Record<string, Principal> = {};
let productId: number;

beforeAll(async () => {
  target = await openTarget();
  odoo = target.client('jsonrpc');
  wos = new WorkOrderGateway(odoo);
  for (const login of ['advisor', 'technician', 'cashier', 'manager']) {
    const uid = await odoo.authenticateUser(login, 'demo');
    staff[login] = { kind: 'staff', uid: uid!, name: login, roles: [login as 'advisor'], companyId: 0 };
  }
  const products = await odoo.searchRead<{ id: number }>('product.product', [['sale_ok', '=', true], ...(await productDomain(odoo, 'storable'))], ['id'], { limit: 1, order: 'id asc' });
  productId = products[0]!.id;
});
afterAll(async () => {
  await target?.close();
});

const customerP = (partnerId: number): Principal => ({ kind: 'customer', identityId: 1, partnerId });

/** Odoo's float_round (half-up, with the epsilon correction of odoo/tools/float_utils.py) to 2 places. */
function odooRound(x: number): number {
  const n = x * 100;
  const eps = n === 0 ? 0 : 2 ** (Math.log2(Math.abs(n)) - 52);
  return Math.round(Math.abs(n) + eps) * Math.sign(n) / 100;
}

async function newCustomerWithVehicle(): Promise<{ partnerId: number; vehicleId: number }> {
  const partnerId = (await new CustomerGateway(odoo).upsert({ name: 'WO ' + unique.tag(), phone: unique.phone() })).id;
  const vehicleId = await new VehicleGateway(odoo).create({ customer_id: partnerId, plate_no: unique.plate() });
  return { partnerId, vehicleId };
}

async function openWo(state?: 'checkin'): Promise<{ wo: WorkOrderDriver; partnerId: number; vehicleId: number; open: ActionResult }> {
  const c = await newCustomerWithVehicle();
  const open = await as(staff.advisor!, () => wos.open({ partner_id: c.partnerId, vehicle_id: c.vehicleId, symptom: 'brakes squeal', state }, 'open-' + unique.tag()));
  return { wo: new WorkOrderDriver(wos, open.id, open), ...c, open };
}

const labor = (price: number, qty = 1, discount = 0) => ({ kind: 'labor', description: 'Labor', qty, price_unit: price, discount });
const part = (price: number, qty = 1, discount = 0) => ({ kind: 'part', product_id: productId, description: 'Part', qty, price_unit: price, discount });

async function toQuoted(w: WorkOrderDriver, lines: unknown[] = [labor(200), part(150.5, 2)]): Promise<void> {
  if ((await wos.get(w.id))!.state === 'draft') await w.act(staff.advisor!, 'action_checkin');
  await w.act(staff.technician!, 'action_start_diagnosis');
  await w.act(staff.advisor!, 'action_create_quote', [lines]);
  await w.act(staff.advisor!, 'action_send_quote', [1]);
}

describe('work orders: opening (WO-001)', () => {
  it('opens as draft with a generated number, the shop and the warehouse', async () => {
    const { wo, open } = await openWo();
    expect(open).toEqual(expect.objectContaining({ id: expect.any(Number), name: expect.stringMatching(/^WO\/\d{4}\/\d{5}$/), state: 'draft', revision: expect.any(Number), replayed: false }));
    const row = await wos.get(wo.id);
    expect(row).toEqual(expect.objectContaining({ state: 'draft', company_id: expect.any(Number), warehouse_id: expect.any(Number) }));
  });

  it('an advisor may open straight into checkin; the same request key opens nothing new', async () => {
    const c = await newCustomerWithVehicle();
    const key = 'open-' + unique.tag();
    const a = await as(staff.advisor!, () => wos.open({ partner_id: c.partnerId, vehicle_id: c.vehicleId, state: 'checkin' }, key));
    expect(a.state).toBe('checkin');
    const b = await as(staff.advisor!, () => wos.open({ partner_id: c.partnerId, vehicle_id: c.vehicleId, state: 'checkin' }, key));
    expect(b).toEqual(expect.objectContaining({ id: a.id, replayed: true }));
  });

  it('a customer opens a service request for their own vehicle only', async () => {
    const mine = await newCustomerWithVehicle();
    const other = await newCustomerWithVehicle();
    const ok = await as(customerP(mine.partnerId), () => wos.open({ partner_id: mine.partnerId, vehicle_id: mine.vehicleId, symptom: 'noise' }, 'open-' + unique.tag()));
    expect(ok.state).toBe('draft');
    const e = await rejected(as(customerP(mine.partnerId), () => wos.open({ partner_id: mine.partnerId, vehicle_id: other.vehicleId }, 'open-' + unique.tag())));
    expect(isRefusal(e)).toBe(true);
  });
});

describe('work orders: transitions', () => {
  it('an illegal transition → 409 DRM_WO_STATE naming the current state', async () => {
    const { wo } = await openWo();
    const e = await rejected(wo.act(staff.technician!, 'action_mark_ready'));
    expect([e.type, e.code]).toEqual(['conflict', 'DRM_WO_STATE']);
    expect(e.message).toContain("'draft'");
  });

  it('a stale revision → DRM_STALE, nothing changes', async () => {
    const { wo } = await openWo();
    const before = (await wos.get(wo.id))!;
    const e = await rejected(as(staff.advisor!, () => wos.act(wo.id, 'action_checkin', before.revision - 1 || 999, 'k-' + unique.tag())));
    expect([e.type, e.code]).toEqual(['stale', 'DRM_STALE']);
    expect((await wos.get(wo.id))!.state).toBe('draft');
  });

  it('revision 0 is compared, not taken for "no revision" (revisions start at 1): DRM_STALE, nothing changes', async () => {
    const { wo } = await openWo();
    const e = await rejected(as(staff.advisor!, () => wos.act(wo.id, 'action_checkin', 0, 'k-' + unique.tag())));
    expect([e.type, e.code]).toEqual(['stale', 'DRM_STALE']);
    expect((await wos.get(wo.id))!.state).toBe('draft');
  });

  it('a repeated request key returns the first result and writes one log row; reused for another action → DRM_DUP_KEY', async () => {
    const { wo } = await openWo();
    const key = 'k-' + unique.tag();
    const first = await as(staff.advisor!, () => wos.act(wo.id, 'action_checkin', wo.revision, key));
    const again = await as(staff.advisor!, () => wos.act(wo.id, 'action_checkin', wo.revision, key));
    expect(again).toEqual(expect.objectContaining({ state: 'checkin', revision: first.revision, replayed: true }));
    const log = await wos.log(wo.id);
    expect(log.filter((l) => l.to_state === 'checkin' && l.event === 'transition')).toHaveLength(1);
    const e = await rejected(as(staff.technician!, () => wos.act(wo.id, 'action_start_diagnosis', first.revision, key)));
    expect([e.type, e.code]).toEqual(['conflict', 'DRM_DUP_KEY']);
  });

  it('a transition whose reply was lost (client timeout) and is retried with its key → one log row', async () => {
    const { wo } = await openWo();
    const key = 'k-' + unique.tag();
    const impatient = target.client('jsonrpc');
    // The mock can answer within 1 ms: hold its reply back (the call commits first), so the client surely times out.
    target.mock?.delayReplies(200);
    const e = await rejected(as(staff.advisor!, () => impatient.execute('drmoto.work.order', 'action_checkin', [[wo.id], wo.revision, key], {}, { timeoutMs: 1, requestKey: key }))).finally(() =>
      target.mock?.delayReplies(0),
    );
    expect(e.type).toBe('dependency_unavailable');
    let r: ActionResult | undefined;
    for (let i = 0; i < 50 && !r; i++) {
      try {
        r = await as(staff.advisor!, () => wos.act(wo.id, 'action_checkin', wo.revision, key));
      } catch (err) {
        // Odoo may still be committing the first call; only a stale revision means it committed first.
        if (!(err instanceof AppError) || err.code !== 'DRM_STALE') throw err;
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    expect(r?.state).toBe('checkin');
    const log = await wos.log(wo.id);
    expect(log.filter((l) => l.to_state === 'checkin')).toHaveLength(1);
  });

  it('the acting principal is checked: a technician cannot check in → 403 DRM_FORBIDDEN', async () => {
    const { wo } = await openWo();
    const e = await rejected(wo.act(staff.technician!, 'action_checkin'));
    expect([e.type, e.code]).toEqual(['forbidden', 'DRM_FORBIDDEN']);
  });

  it('concurrent transitions on one work order: exactly one wins, the log has no gap or duplicate', async () => {
    const { wo } = await openWo();
    const rev = wo.revision;
    const n = 8;
    const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => as(staff.advisor!, () => wos.act(wo.id, 'action_checkin', rev, `race-${i}-${unique.tag()}`))));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const codes = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as AppError).code);
    expect(ok).toHaveLength(1);
    expect(codes.every((c) => c === 'DRM_STALE' || c === 'DRM_WO_STATE')).toBe(true);
    const log = await wos.log(wo.id);
    expect(log.filter((l) => l.to_state === 'checkin')).toHaveLength(1);
    const revisions = log.map((l) => l.revision);
    expect(new Set(revisions).size).toBe(revisions.length);
  });

  it('cancel needs a reason (422 DRM_VALIDATION) and then cancels', async () => {
    const { wo } = await openWo();
    const e = await rejected(wo.act(staff.advisor!, 'action_cancel', ['']));
    expect([e.type, e.code]).toEqual(['unprocessable', 'DRM_VALIDATION']);
    const r = await wo.act(staff.advisor!, 'action_cancel', ['customer changed their mind']);
    expect(r.state).toBe('cancelled');
    const audit = await odoo.searchRead<{ action: string }>('drmoto.audit.log', [['work_order_id', '=', wo.id]], ['action']);
    expect(audit.map((a) => a.action)).toContain('cancel');
  });
});

describe('quote versions (WO-010) and taxes', () => {
  it('each version is complete, taxed by Odoo; totals add up and equal the amount due once confirmed', async () => {
    const { wo, partnerId } = await openWo('checkin');
    await toQuoted(wo, [labor(200), part(150.5, 2, 10)]);
    const [q1] = await wos.quotes(wo.id);
    const lines = await wos.quoteLines([q1!.id]);
    const taxes = await odoo.searchRead<{ id: number; amount: number; price_include: boolean; amount_type: string }>('account.tax', [['id', 'in', lines.flatMap((l) => l.tax_ids)]], ['amount', 'price_include', 'amount_type']);
    expect(taxes.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l.tax_ids.length).toBeGreaterThan(0);
      const t = taxes.find((x) => x.id === l.tax_ids[0])!;
      const gross = odooRound(l.price_unit * (1 - l.discount / 100) * l.qty);
      if (t.price_include) {
        expect(l.total).toBeCloseTo(gross, 2);
        expect(l.tax).toBeCloseTo(odooRound(gross - gross / (1 + t.amount / 100)), 2);
      } else {
        expect(l.subtotal).toBeCloseTo(gross, 2);
        expect(l.tax).toBeCloseTo(odooRound((gross * t.amount) / 100), 2);
      }
      expect(l.total).toBeCloseTo(l.subtotal + l.tax, 2);
    }
    const sum = (f: (l: (typeof lines)[number]) => number) => lines.reduce((a, l) => a + f(l), 0);
    expect(q1!.amounts.total).toBeCloseTo(sum((l) => l.total), 2);
    expect(q1!.amounts.untaxed).toBeCloseTo(sum((l) => l.subtotal), 2);
    expect(q1!.amounts.tax).toBeCloseTo(sum((l) => l.tax), 2);
    await wo.act(customerP(partnerId), 'action_confirm_quote', [1]);
    const row = (await wos.get(wo.id))!;
    expect(row.amounts.total).toBeCloseTo(q1!.amounts.total, 2);
    expect(row.amounts.due).toBeCloseTo(q1!.amounts.total, 2);
  });

  it('a new version increments the number, supersedes the open one, and leaves earlier versions unchanged', async () => {
    const { wo, partnerId } = await openWo('checkin');
    await toQuoted(wo);
    const v1Before = (await wos.quotes(wo.id))[0]!;
    const v1LinesBefore = await wos.quoteLines([v1Before.id]);
    const r = await wo.act(staff.advisor!, 'action_create_quote', [[labor(300)]]);
    expect(r.version).toBe(2);
    const [v1, v2] = await wos.quotes(wo.id);
    expect(v1).toEqual({ ...v1Before, state: 'superseded' });
    expect(await wos.quoteLines([v1!.id])).toEqual(v1LinesBefore);
    expect(v2).toEqual(expect.objectContaining({ version: 2, state: 'draft' }));
    // confirming the superseded version, or a draft, is refused
    expect((await rejected(wo.act(customerP(partnerId), 'action_confirm_quote', [1]))).code).toBe('DRM_QUOTE_STATE');
    expect((await rejected(wo.act(customerP(partnerId), 'action_confirm_quote', [2]))).code).toBe('DRM_QUOTE_STATE');
  });

  it('a sent version cannot be written or deleted, nor its lines (DRM_QUOTE_LOCKED)', async () => {
    const { wo } = await openWo('checkin');
    await toQuoted(wo);
    const [q] = await wos.quotes(wo.id);
    const e1 = await rejected(odoo.execute('drmoto.work.order.quote', 'write', [[q!.id], { note: 'changed' }]));
    expect([e1.type, e1.code]).toEqual(['conflict', 'DRM_QUOTE_LOCKED']);
    const e2 = await rejected(odoo.execute('drmoto.work.order.quote', 'unlink', [[q!.id]]));
    expect(e2.code).toBe('DRM_QUOTE_LOCKED');
    const e3 = await rejected(odoo.execute('drmoto.work.order.quote.line', 'write', [[q!.line_ids[0]], { price_unit: 1 }]));
    expect(e3.code).toBe('DRM_QUOTE_LOCKED');
  });

  it('only the customer who owns the work order confirms; a rejected version cannot be confirmed; an advisor on behalf is audited', async () => {
    const { wo, partnerId } = await openWo('checkin');
    await toQuoted(wo);
    const stranger = await newCustomerWithVehicle();
    const e = await rejected(wo.act(customerP(stranger.partnerId), 'action_confirm_quote', [1]));
    expect(['forbidden', 'not_found']).toContain(e.type);
    await wo.act(customerP(partnerId), 'action_reject_quote', [1, 'too expensive']);
    expect((await rejected(wo.act(customerP(partnerId), 'action_confirm_quote', [1]))).code).toBe('DRM_QUOTE_STATE');
    await wo.act(staff.advisor!, 'action_create_quote', [[labor(100)]]);
    await wo.act(staff.advisor!, 'action_send_quote', [2]);
    await wo.act(staff.advisor!, 'action_confirm_quote', [2]);
    const [, v2] = await wos.quotes(wo.id);
    expect(v2).toEqual(expect.objectContaining({ state: 'confirmed', decided_on_behalf: true }));
    const audit = await odoo.searchRead<{ action: string }>('drmoto.audit.log', [['work_order_id', '=', wo.id]], ['action']);
    expect(audit.map((a) => a.action)).toContain('quote_on_behalf');
  });

  it('start_repair needs a confirmed version; extra work is a new version while in_progress; parts are planned from it', async () => {
    const { wo, partnerId } = await openWo('checkin');
    await toQuoted(wo);
    expect((await rejected(wo.act(staff.technician!, 'action_start_repair'))).code).toBe('DRM_QUOTE_STATE');
    await wo.act(customerP(partnerId), 'action_confirm_quote', [1]);
    expect((await wo.act(staff.technician!, 'action_start_repair')).state).toBe('in_progress');
    expect((await wos.parts(wo.id)).map((p) => [p.product?.id, p.qty_planned])).toEqual([[productId, 2]]);
    await wo.act(staff.advisor!, 'action_create_quote', [[labor(200), part(150.5, 3)]]);
    const sent = await wo.act(staff.advisor!, 'action_send_quote', [2]);
    expect(sent.state).toBe('in_progress');
    await wo.act(customerP(partnerId), 'action_confirm_quote', [2]);
    expect((await wos.parts(wo.id)).map((p) => [p.product?.id, p.qty_planned])).toEqual([[productId, 3]]);
    const [, v2] = await wos.quotes(wo.id);
    expect((await wos.get(wo.id))!.amounts.due).toBeCloseTo(v2!.amounts.total, 2);
  });
});

describe('one-call reads (web_search_read with a nested specification)', () => {
  it("a work order's detail in one call equals its five separate reads: fields, orders, display names", async () => {
    const { wo, partnerId } = await openWo('checkin');
    await toQuoted(wo);
    await wo.act(customerP(partnerId), 'action_confirm_quote', [1]);
    await wo.act(staff.technician!, 'action_start_repair');
    await wo.act(staff.advisor!, 'action_create_quote', [[labor(80, 2, 10), part(150.5, 3), labor(20)]]);
    await wo.act(staff.advisor!, 'action_send_quote', [2]);
    const one = await wos.detail(wo.id);
    const quotes = await wos.quotes(wo.id);
    const five = { wo: await wos.get(wo.id), quotes, lines: await wos.quoteLines(quotes.map((q) => q.id)), log: await wos.log(wo.id), parts: await wos.parts(wo.id) };
    // The five reads order lines by `quote_id` (the quote model's own order); the bundle by version, then sequence.
    const byQuote = (ls: { quote_id: number; sequence: number; id: number }[]) => [...ls].sort((a, b) => a.quote_id - b.quote_id || a.sequence - b.sequence || a.id - b.id);
    expect({ ...one, lines: byQuote(one!.lines) }).toEqual({ ...five, lines: byQuote(five.lines) });
    expect(one!.quotes.map((q) => q.version)).toEqual([1, 2]);
    expect(one!.lines.filter((l) => l.quote_id === quotes[1]!.id).map((l) => l.description)).toEqual(['Labor', 'Part', 'Labor']);
    expect(one!.wo.partner?.name).toMatch(/^WO /);
    expect(one!.wo.vehicle?.plate).toBeTruthy();
    expect(one!.log.length).toBeGreaterThanOrEqual(6);
    expect(one!.parts[0]?.product?.name).toBeTruthy();
  });

  it('an unknown work order is not found (null), not an error', async () => {
    expect(await wos.detail(2_000_000_000)).toBeNull();
  });

  it('a page in one call equals search_read + search_count, past the end too', async () => {
    const { wo } = await openWo('checkin');
    const domain = [['partner_id', '!=', false], ['id', '<=', wo.id]];
    const order = 'create_date desc, id desc';
    const all = await odoo.searchPage<{ id: number }>('drmoto.work.order', domain, ['id'], { offset: 0, limit: 5, order });
    const page = await wos.search(domain, { offset: 0, limit: 5, order });
    expect(page.items.map((w) => w.id)).toEqual(all.rows.map((r) => r.id));
    expect(page.total).toBe(all.total);
    expect(page.items[0]).toEqual(await wos.get(page.items[0]!.id));
    const last = await wos.search(domain, { offset: all.total - 1, limit: 5, order });
    expect([last.items.length, last.total]).toEqual([1, all.total]);
    const past = await wos.search(domain, { offset: all.total + 10, limit: 5, order });
    expect([past.items.length, past.total]).toEqual([0, all.total]);
  });
});

describe('delivery and closing', () => {
  it('deliver with money owing needs a manager override (audited); close then refuses while not settled', async () => {
    const { wo, partnerId } = await openWo('checkin');
    await toQuoted(wo);
    await wo.act(customerP(partnerId), 'action_confirm_quote', [1]);
    await wo.act(staff.technician!, 'action_start_repair');
    await wo.act(staff.technician!, 'action_mark_ready');
    const owing = await rejected(wo.act(staff.advisor!, 'action_deliver', [false]));
    expect([owing.type, owing.code]).toEqual(['conflict', 'DRM_MONEY_OWING']);
    expect((await rejected(wo.act(staff.advisor!, 'action_deliver', [true]))).type).toBe('forbidden');
    const d = await wo.act(staff.manager!, 'action_deliver', [true, 'regular customer, pays tomorrow']);
    expect(d).toEqual(expect.objectContaining({ state: 'delivered', closed: false }));
    const c = await wo.act(staff.cashier!, 'action_close');
    expect(c).toEqual(expect.objectContaining({ closed: false, state: 'delivered', reason: expect.any(String) }));
    const audit = await odoo.searchRead<{ action: string }>('drmoto.audit.log', [['work_order_id', '=', wo.id]], ['action']);
    expect(audit.map((a) => a.action)).toContain('manager_override');
  });

  it('a settled work order closes on delivery, exactly once', async () => {
    const { wo, partnerId } = await openWo('checkin');
    await toQuoted(wo, [labor(0)]);
    await wo.act(customerP(partnerId), 'action_confirm_quote', [1]);
    await wo.act(staff.technician!, 'action_start_repair');
    await wo.act(staff.technician!, 'action_mark_ready');
    const d = await wo.act(staff.advisor!, 'action_deliver', [false]);
    expect(d).toEqual(expect.objectContaining({ state: 'closed', closed: true }));
    const again = await as(staff.cashier!, () => wos.act(wo.id, 'action_close', false as unknown as null, 'k-' + unique.tag())).catch((e: AppError) => e);
    expect((await wos.get(wo.id))!.state).toBe('closed');
    if (!(again instanceof AppError)) expect(again.closed).toBe(false);
    expect((await wos.log(wo.id)).filter((l) => l.to_state === 'closed')).toHaveLength(1);
  });
});

describe('logs are immutable', () => {
  it('status log and audit log rows cannot be written or deleted', async () => {
    const { wo } = await openWo();
    await wo.act(staff.advisor!, 'action_cancel', ['test']);
    const [log] = await wos.log(wo.id);
    expect(isRefusal(await rejected(odoo.execute('drmoto.wo.status.log', 'write', [[log!.id], { note: 'x' }])))).toBe(true);
    expect(isRefusal(await rejected(odoo.execute('drmoto.wo.status.log', 'unlink', [[log!.id]])))).toBe(true);
    const [audit] = await odoo.searchRead<{ id: number }>('drmoto.audit.log', [['work_order_id', '=', wo.id]], ['id']);
    expect(isRefusal(await rejected(odoo.execute('drmoto.audit.log', 'unlink', [[audit!.id]])))).toBe(true);
  });
});
