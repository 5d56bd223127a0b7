/**
 * The demo shop (docs/odoo-contract.md "Seed"): company 1 'DrMoto Demo Shop' (CNY, Asia/Shanghai), warehouse WH,
 * the staff users, customer Zhang San with vehicle 粤B12345 and a few parts with stock; since issue 3 also the taxes
 * (`VAT 13% (incl.)` is the shop's default sale tax), a labor product, two more customers with vehicles and demo
 * work orders in every state (SEED_WORK_ORDERS), built by calling the action methods as the seeded users; since
 * issue 4 the warehouse's operation types (Receipts, Delivery Orders) and one issued picking on WO 4; since issue 5 the
 * sales journal and WO 1 settled through action_sync_invoices + action_register_payment before its delivery closes it.
 */
import { callKw, type Orm } from './orm/orm';
import { createWarehousePickingTypes } from './models/stock-picking-type';
import { GROUPS } from './security';

export const SEED_LOGINS = [
  { login: 'bff', password: 'bff', name: 'DrMoto BFF', groups: ['drmoto_workshop.group_drmoto_integration'] },
  { login: 'advisor', password: 'demo', name: 'Li Advisor', groups: ['drmoto_workshop.group_drmoto_advisor'] },
  { login: 'technician', password: 'demo', name: 'Wang Technician', groups: ['drmoto_workshop.group_drmoto_technician'] },
  { login: 'keeper', password: 'demo', name: 'Zhao Keeper', groups: ['drmoto_workshop.group_drmoto_keeper', 'stock.group_stock_user'] },
  { login: 'cashier', password: 'demo', name: 'Chen Cashier', groups: ['drmoto_workshop.group_drmoto_cashier'] },
  { login: 'manager', password: 'demo', name: 'Liu Manager', groups: ['drmoto_workshop.group_drmoto_manager'] },
] as const;

export const SEED_PRODUCTS = [
  { default_code: 'BP-F01', name: 'Front brake pads (pair)', list_price: 180, standard_price: 95, qty: 24, uom: 'Units' },
  { default_code: 'OIL-1L', name: 'Engine oil 10W-40 1L', list_price: 85, standard_price: 42, qty: 60, uom: 'L' },
  { default_code: 'OF-001', name: 'Oil filter', list_price: 45, standard_price: 18, qty: 30, uom: 'Units' },
  { default_code: 'SP-001', name: 'Spark plug', list_price: 38, standard_price: 15, qty: 40, uom: 'Units' },
  { default_code: 'CK-520', name: 'Chain kit 520', list_price: 560, standard_price: 320, qty: 6, uom: 'Units' },
  { default_code: 'AF-001', name: 'Air filter', list_price: 65, standard_price: 28, qty: 8, uom: 'Units' },
] as const;

export function seed(orm: Orm): void {
  const env = orm.sudoEnv();
  const m = (name: string) => env.model(name);

  for (const g of GROUPS) {
    const [id] = m('res.groups').create([{ name: g.name, category_name: g.category }]);
    orm.xmlids.set(g.xmlid, { model: 'res.groups', id: id! });
    orm.impliedGroups.set(g.xmlid, g.implied);
  }
  for (const g of GROUPS) {
    const id = orm.ref(g.xmlid);
    m('res.groups').write([id], { implied_ids: [[6, 0, g.implied.map((x) => orm.ref(x))]] });
  }

  const [cny] = m('res.currency').create([{ name: 'CNY', full_name: 'Chinese yuan', symbol: '¥', rounding: 0.01, position: 'before' }]);
  m('res.currency').create([
    { name: 'USD', full_name: 'United States dollar', symbol: '$', rounding: 0.01, position: 'before' },
    { name: 'EUR', full_name: 'Euro', symbol: '€', rounding: 0.01, position: 'after' },
    { name: 'JPY', full_name: 'Japanese yen', symbol: '¥', rounding: 1, position: 'before', active: false },
  ]);
  orm.xmlids.set('base.CNY', { model: 'res.currency', id: cny! });

  const [companyPartner] = m('res.partner').create([{ name: 'DrMoto Demo Shop', is_company: true, city: 'Shenzhen', phone: '+86 755 8888 0000' }]);
  const [company] = m('res.company').create([{ name: 'DrMoto Demo Shop', partner_id: companyPartner, currency_id: cny, drmoto_tz: 'Asia/Shanghai' }]);
  m('res.partner').write([companyPartner!], { company_id: company });
  orm.xmlids.set('base.main_company', { model: 'res.company', id: company! });

  const users = m('res.users');
  const groupIds = (xmlids: readonly string[]) => [[6, 0, xmlids.map((x) => orm.ref(x))]];
  const [root] = users.create([
    {
      name: 'OdooBot',
      login: '__system__',
      active: false,
      company_id: company,
      company_ids: [[6, 0, [company]]],
      groups_id: groupIds(['base.group_user', 'base.group_system', 'drmoto_workshop.group_drmoto_manager']),
    },
  ]);
  orm.xmlids.set('base.user_root', { model: 'res.users', id: root! });
  const [admin] = users.create([
    {
      name: 'Administrator',
      login: 'admin',
      password: 'admin',
      company_id: company,
      company_ids: [[6, 0, [company]]],
      groups_id: groupIds(['base.group_user', 'base.group_system', 'base.group_partner_manager', 'stock.group_stock_manager']),
    },
  ]);
  orm.xmlids.set('base.user_admin', { model: 'res.users', id: admin! });
  for (const u of SEED_LOGINS) {
    const [id] = users.create([
      { name: u.name, login: u.login, password: u.password, company_id: company, company_ids: [[6, 0, [company]]], groups_id: groupIds(u.groups), tz: 'Asia/Shanghai' },
    ]);
    orm.xmlids.set(`drmoto_mock.user_${u.login}`, { model: 'res.users', id: id! });
  }

  const [units] = m('uom.uom').create([{ name: 'Units', category_name: 'Unit' }]);
  const [liters] = m('uom.uom').create([{ name: 'L', category_name: 'Volume' }]);

  const loc = m('stock.location');
  const [physical] = loc.create([{ name: 'Physical Locations', usage: 'view' }]);
  const [partners] = loc.create([{ name: 'Partners', usage: 'view' }]);
  const [virtual] = loc.create([{ name: 'Virtual Locations', usage: 'view' }]);
  const [customers] = loc.create([{ name: 'Customers', usage: 'customer', location_id: partners }]);
  const [vendors] = loc.create([{ name: 'Vendors', usage: 'supplier', location_id: partners }]);
  const [inventory] = loc.create([{ name: 'Inventory adjustment', usage: 'inventory', location_id: virtual }]);
  const [whView] = loc.create([{ name: 'WH', usage: 'view', location_id: physical, company_id: company }]);
  const [whStock] = loc.create([{ name: 'Stock', usage: 'internal', location_id: whView, company_id: company }]);
  const [warehouse] = m('stock.warehouse').create([
    { name: 'DrMoto Demo Shop', code: 'WH', company_id: company, partner_id: companyPartner, view_location_id: whView, lot_stock_id: whStock },
  ]);
  loc.write([whView!, whStock!], { warehouse_id: warehouse });
  orm.xmlids.set('stock.warehouse0', { model: 'stock.warehouse', id: warehouse! });
  orm.xmlids.set('stock.stock_location_stock', { model: 'stock.location', id: whStock! });
  orm.xmlids.set('stock.stock_location_customers', { model: 'stock.location', id: customers! });
  orm.xmlids.set('stock.stock_location_suppliers', { model: 'stock.location', id: vendors! });
  orm.xmlids.set('stock.location_inventory', { model: 'stock.location', id: inventory! });

  const productIds: Record<string, number> = {};
  for (const p of SEED_PRODUCTS) {
    const [pid] = m('product.product').create([
      { name: p.name, default_code: p.default_code, type: 'product', list_price: p.list_price, standard_price: p.standard_price, uom_id: p.uom === 'L' ? liters : units },
    ]);
    productIds[p.default_code] = pid!;
    if (p.qty) m('stock.quant').create([{ product_id: pid, location_id: whStock, company_id: company, quantity: p.qty }]);
  }

  const [zhang] = m('res.partner').create([{ name: 'Zhang San', phone: '13800138000', drmoto_is_customer: true, customer_rank: 1, company_id: false }]);
  m('drmoto.vehicle').create([{ plate_no: '粤B12345', brand: 'Honda', vehicle_model: 'CB400X', year: 2021, odometer: 12800, partner_id: zhang, company_id: company }]);

  // ---- issue 3: taxes, labor, the work-order sequence, more customers, demo work orders (ids above stay as they were)
  const [vatIncl, vatExcl] = m('account.tax').create([
    { name: 'VAT 13% (incl.)', amount: 13, amount_type: 'percent', price_include: true, type_tax_use: 'sale', company_id: company, sequence: 1, description: '13%' },
    { name: 'VAT 13% (excl.)', amount: 13, amount_type: 'percent', price_include: false, type_tax_use: 'sale', company_id: company, sequence: 1, description: '13%' },
  ]);
  orm.xmlids.set('drmoto_mock.tax_vat13_incl', { model: 'account.tax', id: vatIncl! });
  orm.xmlids.set('drmoto_mock.tax_vat13_excl', { model: 'account.tax', id: vatExcl! });
  m('res.company').write([company!], { account_sale_tax_id: vatIncl });
  m('product.product').write(Object.values(productIds), { taxes_id: [[6, 0, [vatIncl!]]] });
  // issue 5: the shop's sales journal (a real Odoo has it from its chart of accounts): invoices INV/<year>/NNNNN,
  // credit notes RINV/<year>/NNNNN; the payment journals (WXP, STRP, CASH) are created on first use
  const [saleJournal] = m('account.journal').create([{ name: 'Customer Invoices', code: 'INV', type: 'sale', company_id: company, currency_id: cny, refund_sequence: true, sequence: 5 }]);
  orm.xmlids.set('drmoto_mock.journal_sale', { model: 'account.journal', id: saleJournal! });
  const [hours] = m('uom.uom').create([{ name: 'Hours', category_name: 'Working Time' }]);
  const [labor] = m('product.product').create([
    { name: 'Labor (hour)', default_code: 'LAB-H', type: 'service', list_price: 120, standard_price: 0, uom_id: hours, taxes_id: [[6, 0, [vatIncl!]]] },
  ]);
  productIds['LAB-H'] = labor!;
  // data/drmoto_work_order_sequence.xml: noupdate sequence "drmoto.work.order", WO/%(year)s/00001, shared by all shops
  m('ir.sequence').create([{ name: 'Work order', code: 'drmoto.work.order', prefix: 'WO/%(year)s/', padding: 5, implementation: 'standard', company_id: false }]);
  // ---- issue 4: the warehouse's operation types (Receipts WH/IN/, Delivery Orders WH/OUT/), after the rows above
  const types = createWarehousePickingTypes(env, warehouse!);
  orm.xmlids.set('stock.picking_type_in', { model: 'stock.picking.type', id: types.in });
  orm.xmlids.set('stock.picking_type_out', { model: 'stock.picking.type', id: types.out });

  const [wang, zhao] = m('res.partner').create([
    { name: 'Wang Wu', phone: '13700137000', drmoto_is_customer: true, customer_rank: 1, company_id: false, city: 'Shenzhen' },
    { name: 'Zhao Liu', phone: '13600136000', drmoto_is_customer: true, customer_rank: 1, company_id: false, city: 'Dongguan' },
  ]);
  const vehicleIds = m('drmoto.vehicle').create([
    { plate_no: '粤B·56789', brand: 'Yamaha', vehicle_model: 'NMAX 155', year: 2022, odometer: 8400, partner_id: wang, company_id: company },
    { plate_no: '粤B99999', brand: 'Yamaha', vehicle_model: 'MT-07', year: 2020, odometer: 23100, partner_id: wang, company_id: company },
    { plate_no: '粤A88888', brand: 'BMW', vehicle_model: 'R 1250 GS', year: 2023, odometer: 15600, partner_id: zhao, company_id: company },
    { plate_no: '粤A35790', brand: 'Kawasaki', vehicle_model: 'Ninja 400', year: 2019, odometer: 31000, partner_id: zhao, company_id: company },
  ]);
  seedWorkOrders(orm, {
    partners: { zhang: zhang!, wang: wang!, zhao: zhao! },
    vehicles: { zhangB12345: 1, wangB56789: vehicleIds[0]!, wangB99999: vehicleIds[1]!, zhaoA88888: vehicleIds[2]!, zhaoA35790: vehicleIds[3]! },
    products: productIds,
  });
}

/** The demo work orders, in creation order (names WO/<year>/00001 … 00009): state and story, for the demo docs. */
export const SEED_WORK_ORDERS = [
  {
    n: 1,
    customer: 'Zhang San',
    plate: '粤B12345',
    state: 'closed',
    story: 'v1 rejected, v2 (discount) confirmed by the customer; invoiced (INV/<year>/00001), paid by WeChat Pay (PWXP/<year>/00001, ledger ref seed-ledger-1), delivered → closed',
  },
  { n: 2, customer: 'Wang Wu', plate: '粤B·56789', state: 'delivered', story: 'quote confirmed by the advisor on the phone (audited); delivered with money owing by manager override (audited)' },
  { n: 3, customer: 'Zhao Liu', plate: '粤A35790', state: 'cancelled', story: 'quote rejected by the customer, then cancelled with a reason (audited)' },
  { n: 4, customer: 'Zhao Liu', plate: '粤A88888', state: 'in_progress', story: 'v1 superseded by v2 before the decision, v2 confirmed; extra work v3 sent during the repair; the parts of v2 requested by the technician and issued by the keeper (WH/OUT/00001)' },
  { n: 5, customer: 'Zhang San', plate: '粤B12345', state: 'ready', story: 'quote confirmed by the customer, repaired, ready for pickup' },
  { n: 6, customer: 'Wang Wu', plate: '粤B99999', state: 'quoted', story: 'v1 sent, waiting for the customer' },
  { n: 7, customer: 'Zhao Liu', plate: '粤A35790', state: 'diagnosing', story: 'diagnosis recorded by the technician' },
  { n: 8, customer: 'Wang Wu', plate: '粤B·56789', state: 'checkin', story: 'checked in by the advisor' },
  { n: 9, customer: 'Zhang San', plate: '粤B12345', state: 'draft', story: 'service request opened by the customer in the mini-program' },
] as const;

interface SeedRefs {
  partners: { zhang: number; wang: number; zhao: number };
  vehicles: { zhangB12345: number; wangB56789: number; wangB99999: number; zhaoA88888: number; zhaoA35790: number };
  products: Record<string, number>;
}

/**
 * Every step goes through the action methods as the seeded users (advisor, technician, manager; the customer and
 * the system through the integration user's `drmoto_actor`), so the seed obeys the real rules and leaves status-log
 * and audit rows. The clock is moved back in time for the demo's timeline and restored afterwards.
 */
function seedWorkOrders(orm: Orm, refs: SeedRefs): void {
  const realNow = orm.now;
  const uidOf = (login: string): number => orm.ref(`drmoto_mock.user_${login}`);
  let clock = 0;
  orm.now = () => new Date(clock);
  /** 09:30 Asia/Shanghai, `days` days before today */
  const startDay = (days: number): void => {
    const d = realNow();
    clock = Math.min(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - days, 1, 30), d.getTime() - days * 86_400_000 - 4 * 3_600_000);
  };
  let step = 0;
  const run = (login: string, method: string, args: unknown[], ctx: Record<string, unknown> = {}): Record<string, unknown> => {
    clock += (17 + (step % 5) * 9) * 60_000;
    step += 1;
    const env = orm.env(uidOf(login));
    return callKw(env, 'drmoto.work.order', method, args, {
      context: { tz: 'Asia/Shanghai', lang: 'en_US', drmoto_trace_id: `seed-${step}`, drmoto_request_key: `seed-${step}`, ...ctx },
    }) as Record<string, unknown>;
  };
  const customer = (partnerId: number) => ({ drmoto_actor: { kind: 'customer', partner_id: partnerId } });

  /** a work order driven with its moving revision */
  const wo = (login: string, vals: Record<string, unknown>, ctx: Record<string, unknown> = {}) => {
    const opened = run(login, 'action_open', [vals, `seed-open-${step + 1}`], ctx);
    const id = opened.id as number;
    let revision = opened.revision as number;
    return {
      id,
      act(actor: string, method: string, extra: unknown[] = [], c: Record<string, unknown> = {}): Record<string, unknown> {
        const r = run(actor, method, [[id], revision, `seed-${id}-${step + 1}`, ...extra], c);
        revision = r.revision as number;
        return r;
      },
    };
  };
  const technician = uidOf('technician');
  const P = refs.products;
  const laborLine = (hours: number, description: string, discount = 0) => ({ kind: 'labor', product_id: P['LAB-H'], description, qty: hours, price_unit: 120, discount });
  const partLine = (code: string, qty: number, price: number, description: string, discount = 0) => ({ kind: 'part', product_id: P[code], description, qty, price_unit: price, discount });

  // 1. closed: rejected v1, discounted v2 confirmed by the customer, paid, delivered → closed
  startDay(9);
  const w1 = wo('advisor', { partner_id: refs.partners.zhang, vehicle_id: refs.vehicles.zhangB12345, symptom: 'Front brake squeals and feels soft', odometer_in: 12800, technician_id: technician, state: 'checkin' });
  w1.act('technician', 'action_start_diagnosis');
  w1.act('technician', 'action_record_diagnosis', ['Front pads worn to 1 mm; brake fluid dark']);
  w1.act('advisor', 'action_create_quote', [[laborLine(1.5, 'Replace front pads, bleed brakes'), partLine('BP-F01', 1, 180, 'Front brake pads (pair)')]]);
  w1.act('advisor', 'action_send_quote', [1]);
  w1.act('bff', 'action_reject_quote', [1, 'Too expensive'], customer(refs.partners.zhang));
  w1.act('advisor', 'action_create_quote', [[laborLine(1, 'Replace front pads'), partLine('BP-F01', 1, 180, 'Front brake pads (pair)', 10)], 'Loyalty discount on the pads']);
  w1.act('advisor', 'action_send_quote', [2]);
  w1.act('bff', 'action_confirm_quote', [2], customer(refs.partners.zhang));
  w1.act('technician', 'action_start_repair');
  w1.act('technician', 'action_mark_ready');
  // the customer pays in the mini-program (WeChat Pay); the BFF's settlement job, as the system: syncs the invoices
  // (INV/<year>/00001 with the lines of v2), registers the payment (PWXP/<year>/00001, reconciled: the invoice is
  // paid) and tries to close (not delivered yet: {closed: false}); the advisor's delivery then closes it
  const system = { drmoto_actor: { kind: 'system' } };
  run('bff', 'action_sync_invoices', [[w1.id], `seed-${w1.id}-settle-1/invoices`], system);
  const w1total = orm.sudoEnv().model('drmoto.work.order').row(w1.id)!.amount_total as number;
  run('bff', 'action_register_payment', [[w1.id], 'seed-ledger-1', w1total, 'wechat'], system);
  run('bff', 'action_close', [[w1.id], false, `seed-${w1.id}-settle-1/close`], system);
  const w1rev = orm.sudoEnv().model('drmoto.work.order').row(w1.id)!.revision as number;
  run('advisor', 'action_deliver', [[w1.id], w1rev, `seed-${w1.id}-deliver`, false, 'Handed over to the customer']);

  // 2. delivered with money owing: confirmed on the customer's behalf, manager override
  startDay(7);
  const w2 = wo('advisor', { partner_id: refs.partners.wang, vehicle_id: refs.vehicles.wangB56789, symptom: '10,000 km service', odometer_in: 8400 });
  w2.act('advisor', 'action_checkin');
  w2.act('advisor', 'action_start_diagnosis');
  w2.act('technician', 'action_record_diagnosis', ['Routine service: oil, oil filter, spark plug']);
  w2.act('advisor', 'action_create_quote', [
    [laborLine(0.5, 'Oil service'), partLine('OIL-1L', 1.2, 85, 'Engine oil 10W-40'), partLine('OF-001', 1, 45, 'Oil filter'), partLine('SP-001', 1, 38, 'Spark plug')],
  ]);
  w2.act('advisor', 'action_send_quote', [1]);
  w2.act('advisor', 'action_confirm_quote', [1]);
  w2.act('advisor', 'action_start_repair');
  w2.act('technician', 'action_mark_ready');
  w2.act('manager', 'action_deliver', [true, 'Regular customer, pays on Friday']);

  // 3. cancelled: the customer rejects the only quote, the advisor cancels
  startDay(5);
  const w3 = wo('advisor', { partner_id: refs.partners.zhao, vehicle_id: refs.vehicles.zhaoA35790, symptom: 'Chain noise', state: 'checkin' });
  w3.act('technician', 'action_start_diagnosis');
  w3.act('technician', 'action_record_diagnosis', ['Chain and sprockets worn out']);
  w3.act('advisor', 'action_create_quote', [[laborLine(2, 'Replace chain kit'), partLine('CK-520', 1, 560, 'Chain kit 520')]]);
  w3.act('advisor', 'action_send_quote', [1]);
  w3.act('bff', 'action_reject_quote', [1, 'Will think about it'], customer(refs.partners.zhao));
  w3.act('advisor', 'action_cancel', ['Customer declined the repair']);

  // 4. in_progress: v1 superseded by v2 before the customer decided, v2 confirmed; extra work v3 sent
  startDay(3);
  const w4 = wo('advisor', { partner_id: refs.partners.zhao, vehicle_id: refs.vehicles.zhaoA88888, symptom: 'Oil leak under the engine', odometer_in: 15600, technician_id: technician, state: 'checkin' });
  w4.act('technician', 'action_start_diagnosis');
  w4.act('technician', 'action_record_diagnosis', ['Oil filter housing gasket leaking']);
  w4.act('advisor', 'action_create_quote', [[laborLine(1, 'Replace gasket'), partLine('OF-001', 1, 45, 'Oil filter')]]);
  w4.act('advisor', 'action_send_quote', [1]);
  w4.act('advisor', 'action_create_quote', [[laborLine(1, 'Replace gasket, oil change'), partLine('OF-001', 1, 45, 'Oil filter'), partLine('OIL-1L', 4, 85, 'Engine oil 10W-40')]]);
  w4.act('advisor', 'action_send_quote', [2]);
  w4.act('bff', 'action_confirm_quote', [2], customer(refs.partners.zhao));
  w4.act('technician', 'action_start_repair');
  w4.act('advisor', 'action_create_quote', [[laborLine(1, 'Replace gasket, oil change'), partLine('OF-001', 1, 45, 'Oil filter'), partLine('OIL-1L', 4, 85, 'Engine oil 10W-40'), partLine('AF-001', 1, 65, 'Air filter (found clogged)')]]);
  w4.act('advisor', 'action_send_quote', [3]);
  const w4Clock = clock;

  // 5. ready
  startDay(2);
  const w5 = wo('advisor', { partner_id: refs.partners.zhang, vehicle_id: refs.vehicles.zhangB12345, symptom: 'Hard starting in the morning', technician_id: technician, state: 'checkin' });
  w5.act('technician', 'action_start_diagnosis');
  w5.act('technician', 'action_record_diagnosis', ['Spark plug fouled']);
  w5.act('advisor', 'action_create_quote', [[laborLine(0.5, 'Replace spark plug'), partLine('SP-001', 1, 38, 'Spark plug')]]);
  w5.act('advisor', 'action_send_quote', [1]);
  w5.act('bff', 'action_confirm_quote', [1], customer(refs.partners.zhang));
  w5.act('technician', 'action_start_repair');
  w5.act('technician', 'action_mark_ready');

  // 6. quoted, waiting for the customer
  startDay(1);
  const w6 = wo('advisor', { partner_id: refs.partners.wang, vehicle_id: refs.vehicles.wangB99999, symptom: 'Rear brake weak', state: 'checkin' });
  w6.act('technician', 'action_start_diagnosis');
  w6.act('technician', 'action_record_diagnosis', ['Rear pads worn']);
  w6.act('advisor', 'action_create_quote', [[laborLine(1, 'Replace rear pads'), partLine('BP-F01', 1, 160, 'Brake pads (pair), rear fitment')]]);
  w6.act('advisor', 'action_send_quote', [1]);

  // 7. diagnosing
  const w7 = wo('advisor', { partner_id: refs.partners.zhao, vehicle_id: refs.vehicles.zhaoA35790, symptom: 'Engine warning light', technician_id: technician, state: 'checkin' });
  w7.act('technician', 'action_start_diagnosis');
  w7.act('technician', 'action_record_diagnosis', ['Reading fault codes: O2 sensor suspected']);

  // 8. checkin
  startDay(0);
  const w8 = wo('advisor', { partner_id: refs.partners.wang, vehicle_id: refs.vehicles.wangB56789, symptom: 'Headlight flickers' });
  w8.act('advisor', 'action_checkin');

  // 9. draft: a service request from the mini-program
  wo('bff', { partner_id: refs.partners.zhang, vehicle_id: refs.vehicles.zhangB12345, symptom: 'Please also check the horn' }, customer(refs.partners.zhang));

  // issue 4, at the end so that every row above keeps its id: on WO 4 (in_progress) the technician requests the
  // parts of the confirmed v2 and the keeper issues them (one done picking WH/OUT/00001; stock goes down)
  clock = w4Clock;
  const w4Parts = [
    { product_id: P['OF-001'], qty: 1 },
    { product_id: P['OIL-1L'], qty: 4 },
  ];
  run('technician', 'action_request_parts', [[w4.id], `seed-${w4.id}-request-parts`, w4Parts]);
  run('keeper', 'action_issue_parts', [[w4.id], `seed-${w4.id}-issue-parts`, w4Parts]);

  orm.now = realNow;
}
