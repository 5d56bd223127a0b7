/**
 * The demo shop (docs/odoo-contract.md "Seed"): company 1 'DrMoto Demo Shop' (CNY, Asia/Shanghai), warehouse WH,
 * the staff users, customer Zhang San with vehicle 粤B12345 and a few parts with stock.
 */
import type { Orm } from './orm/orm';
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
  { default_code: 'AF-001', name: 'Air filter', list_price: 65, standard_price: 28, qty: 0, uom: 'Units' },
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

  for (const p of SEED_PRODUCTS) {
    const [pid] = m('product.product').create([
      { name: p.name, default_code: p.default_code, type: 'product', list_price: p.list_price, standard_price: p.standard_price, uom_id: p.uom === 'L' ? liters : units },
    ]);
    if (p.qty) m('stock.quant').create([{ product_id: pid, location_id: whStock, company_id: company, quantity: p.qty }]);
  }

  const [zhang] = m('res.partner').create([{ name: 'Zhang San', phone: '13800138000', drmoto_is_customer: true, customer_rank: 1, company_id: false }]);
  m('drmoto.vehicle').create([{ plate_no: '粤B12345', brand: 'Honda', vehicle_model: 'CB400X', year: 2021, odometer: 12800, partner_id: zhang, company_id: company }]);
}
