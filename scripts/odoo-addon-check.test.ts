import path from 'node:path';
import { blankPython, checkAddon, readAddon, RULES, SERIES, SOURCE_SERIES, type AddonFile, type Series } from './odoo-addon-check';

const ADDON = path.join(__dirname, '..', 'odoo-addons', 'drmoto_workshop');

const view = (arch: string, model = 'drmoto.vehicle') =>
  `<odoo><record id="v" model="ir.ui.view"><field name="model">${model}</field><field name="arch" type="xml">${arch}</field></record></odoo>`;
const groups = (fields: string) => `<odoo><record id="g" model="res.groups"><field name="name">G</field>${fields}</record></odoo>`;
const model = (body: string, decorator = '') => `from odoo import fields, models\n\n\n${decorator}class M(models.Model):\n    _name = "m"\n${body}\n`;

/** Per rule: a file that violates it (on exactly the rule's series), and the same file written the right way. */
const FIXTURES: Record<string, { bad: AddonFile; good: AddonFile }> = {
  'list-view': {
    bad: { path: 'views/v.xml', text: view('<tree><field name="name"/></tree>') },
    good: { path: 'views/v.xml', text: view('<list><field name="name"/></list>') },
  },
  'tree-view-17': {
    bad: { path: 'views/v.xml', text: '<odoo><record id="a" model="ir.actions.act_window"><field name="view_mode">list,form</field></record></odoo>' },
    good: { path: 'views/v.xml', text: '<odoo><record id="a" model="ir.actions.act_window"><field name="view_mode">kanban,form</field></record></odoo>' },
  },
  'no-attrs-states': {
    bad: { path: 'views/v.xml', text: view(`<form><button name="x" states="draft"/><field name="a" attrs="{'invisible': [('b', '=', 1)]}"/></form>`) },
    good: { path: 'views/v.xml', text: view('<form><button name="x" invisible="state != \'draft\'"/></form>') },
  },
  chatter: {
    bad: { path: 'views/v.xml', text: view('<form><sheet/><div class="oe_chatter"><field name="message_ids"/></div></form>') },
    good: { path: 'views/v.xml', text: view('<form><sheet/><!-- was <div class="oe_chatter"> on 17 --></form>') },
  },
  'chatter-17': {
    bad: { path: 'views/v.xml', text: view('<form><sheet/><chatter/></form>') },
    good: { path: 'views/v.xml', text: view('<form><sheet/></form>') },
  },
  'kanban-card': {
    bad: { path: 'views/v.xml', text: view('<kanban><templates><t t-name="kanban-box"><div/></t></templates></kanban>') },
    good: { path: 'views/v.xml', text: view('<kanban><templates><t t-name="menu"><div/></t></templates></kanban>') },
  },
  'kanban-card-17': {
    bad: { path: 'views/v.xml', text: view('<kanban><templates><t t-name="card"><div/></t></templates></kanban>') },
    good: { path: 'views/v.xml', text: view('<kanban><templates><t t-name="menu"><div/></t></templates></kanban>') },
  },
  'search-group-attrs': {
    bad: { path: 'views/v.xml', text: view('<search><group expand="0" string="Group By"><filter name="s"/></group></search>') },
    // a form's titled group is fine
    good: { path: 'views/v.xml', text: view('<search><group><filter name="s"/></group></search>') + view('<form><group string="Owner"/></form>') },
  },
  'group-category': {
    bad: { path: 'security/s.xml', text: groups('<field name="category_id" ref="cat"/>') },
    good: { path: 'security/s.xml', text: '<odoo><record id="r" model="ir.rule"><field name="category_id" ref="cat"/></record></odoo>' },
  },
  'group-users': {
    bad: { path: 'security/s.xml', text: groups(`<field name="users" eval="[Command.link(ref('base.user_root'))]"/>`) },
    good: { path: 'security/s.xml', text: groups(`<field name="implied_ids" eval="[Command.link(ref('base.group_user'))]"/>`) },
  },
  'payment-memo-view': {
    bad: { path: 'views/p.xml', text: view('<field name="journal_id" position="after"><field name="ref"/></field>', 'account.payment') },
    good: { path: 'views/p.xml', text: view('<field name="journal_id" position="after"><field name="ref"/></field>', 'account.move') },
  },
  aggregator: {
    bad: { path: 'models/m.py', text: model('    amount = fields.Float(group_operator="sum")') },
    good: { path: 'models/m.py', text: model('    amount = fields.Float()  # group_operator="sum" on 17') },
  },
  'group-operator-17': {
    bad: { path: 'models/m.py', text: model('    amount = fields.Float(aggregator="max")') },
    good: { path: 'models/m.py', text: model('    amount = fields.Float()') },
  },
  'display-name': {
    bad: { path: 'models/m.py', text: model('    def name_get(self):\n        return []') },
    good: { path: 'models/m.py', text: model('    def _compute_display_name(self):\n        """replaces name_get"""\n        pass') },
  },
  'search-display-name': {
    bad: { path: 'models/m.py', text: model('    def _name_search(self, name, domain=None, operator="ilike", limit=None, order=None):\n        return []') },
    good: { path: 'models/m.py', text: model('    def _search_display_name(self, operator, value):\n        return []') },
  },
  'has-group': {
    bad: { path: 'models/m.py', text: model('    def f(self):\n        return self.user_has_groups("base.group_user")') },
    good: { path: 'models/m.py', text: model('    def f(self):\n        return self.env.user.has_group("base.group_user")') },
  },
  'check-access': {
    bad: { path: 'models/m.py', text: model('    def f(self):\n        self.check_access_rights("read")\n        self.check_access_rule("read")') },
    good: { path: 'models/m.py', text: model('    def f(self):\n        check_access(self, "read")') },
  },
  'as-validation-error': {
    bad: { path: 'tests/common.py', text: 'from odoo.service.model import _as_validation_error\n\n\ndef f(env, e):\n    return str(_as_validation_error(env, e))\n' },
    good: { path: 'tests/common.py', text: 'from ..models.drmoto_compat import integrity_error_message\n\n\ndef f(env, e):\n    return integrity_error_message(env, e)\n' },
  },
  'stock-move-name': {
    bad: { path: 'models/m.py', text: model('    def f(self):\n        return self.env["stock.picking"].create({"name": "P", "move_ids": [(0, 0, {"name": "x", "product_id": 1})]})') },
    good: { path: 'models/m.py', text: model('    def f(self):\n        return self.env["stock.picking"].create({"name": "P", "move_ids": [(0, 0, {MOVE_DESCRIPTION: "x", "product_id": 1})]})') },
  },
  'user-group-ids': {
    bad: { path: 'tests/t.py', text: 'def f(env, ids):\n    return env["res.users"].create({"login": "x", "groups_id": [(6, 0, ids)]})\n' },
    good: { path: 'tests/t.py', text: 'from ..models.drmoto_compat import USER_GROUPS\n\n\ndef f(env, ids):\n    return env["res.users"].create({"login": "x", USER_GROUPS: [(6, 0, ids)]})\n' },
  },
  'user-group-ids-xml': {
    bad: { path: 'data/u.xml', text: `<odoo><record id="u" model="res.users"><field name="groups_id" eval="[Command.link(ref('base.group_user'))]"/></record></odoo>` },
    good: { path: 'data/u.xml', text: '<odoo><record id="u" model="res.users"><field name="login">u</field></record></odoo>' },
  },
  'read-group': {
    bad: { path: 'models/m.py', text: model('    def f(self):\n        return self.env["m"].read_group([], ["a:sum"], ["b"])') },
    good: { path: 'models/m.py', text: model('    def f(self):\n        return self.env["m"]._read_group([], ["b"], ["a:sum"])') },
  },
  'json-route': {
    bad: { path: 'controllers/c.py', text: 'from odoo import http\n\n\nclass C(http.Controller):\n    @http.route("/x", type="json", auth="user")\n    def x(self):\n        return 1\n' },
    good: { path: 'controllers/c.py', text: 'from odoo import http\nfrom ..models.drmoto_compat import JSON_ROUTE\n\n\nclass C(http.Controller):\n    @http.route("/x", type=JSON_ROUTE, auth="user")\n    def x(self):\n        return 1\n' },
  },
  'jsonrpc-route-18': {
    bad: { path: 'controllers/c.py', text: 'from odoo import http\n\n\nclass C(http.Controller):\n    @http.route("/x", type="jsonrpc", auth="user")\n    def x(self):\n        return 1\n' },
    good: { path: 'controllers/c.py', text: 'from odoo import http\nfrom ..models.drmoto_compat import JSON_ROUTE\n\n\nclass C(http.Controller):\n    @http.route("/x", type=JSON_ROUTE, auth="user")\n    def x(self):\n        return 1\n' },
  },
  'product-type': {
    bad: { path: 'models/m.py', text: model('    def f(self, product):\n        return product.type == "product" or self.env["product.product"].create({"name": "p", "detailed_type": "product"})') },
    good: { path: 'models/m.py', text: model('    def f(self, product):\n        return is_storable(product) or self.env["product.product"].create({"name": "p", **product_type_vals("product")})') },
  },
  'payment-memo': {
    bad: { path: 'models/m.py', text: model('    def f(self):\n        p = self.env["account.payment"].create({"amount": 1, "ref": "x"})\n        return p.state == "posted"') },
    good: { path: 'models/m.py', text: model('    def f(self):\n        self.env["account.move"].create({"ref": "x"})\n        p = self.env["account.payment"].create({"amount": 1, PAYMENT_MEMO: "x"})\n        return payment_posted(p)') },
  },
  'model-constraint': {
    bad: { path: 'models/m.py', text: model('    _sql_constraints = [\n        ("code_uniq", "unique(code)", "DRM_DUP_KEY: code"),\n    ]') },
    good: { path: 'models/m.py', text: model('    _sql_constraints = [\n        ("code_uniq", "unique(code)", "DRM_DUP_KEY: code"),\n    ]', '@sql_constraints\n') },
  },
  'model-constraint-18': {
    bad: { path: 'models/m.py', text: model('    _code_uniq = models.Constraint("unique(code)", "DRM_DUP_KEY: code")') },
    good: { path: 'models/m.py', text: model('    _sql_constraints = [("code_uniq", "unique(code)", "DRM_DUP_KEY: code")]', '@sql_constraints\n') },
  },
  'manifest-version': {
    bad: { path: '__manifest__.py', text: '{"name": "X", "version": "17.0.1.4.0", "depends": ["base"]}\n' },
    good: { path: '__manifest__.py', text: '{"name": "X", "version": "1.5.0", "depends": ["base"]}\n' },
  },
};

const seriesOf = (files: AddonFile[], rule: string, series: readonly Series[] = SERIES) =>
  [...new Set(checkAddon(files, series).filter((v) => v.rule === rule).map((v) => v.series))].sort();

describe('odoo-addon-check', () => {
  it('finds nothing in drmoto_workshop for Odoo 18, 19 and 20 (run `npx tsx scripts/odoo-addon-check.ts` for the list)', () => {
    const found = checkAddon(readAddon(ADDON), SOURCE_SERIES);
    expect(found.map((v) => `${v.file}:${v.line} [${v.rule}, ${v.series}]`)).toEqual([]);
  });

  it('reads every data file of the addon (views, security, wizards, models, tests, manifest)', () => {
    const files = readAddon(ADDON).map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['__manifest__.py', 'security/ir.model.access.csv', 'views/drmoto_work_order_views.xml', 'models/drmoto_compat.py', 'tests/common.py']));
  });

  it('has a fixture for every rule', () => {
    expect(Object.keys(FIXTURES).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  describe.each(RULES.map((r) => [r.id, r.series] as const))('%s', (id, series) => {
    it(`fails on a violation, on Odoo ${series.join(', ')} only`, () => {
      expect(seriesOf([FIXTURES[id]!.bad], id)).toEqual([...series].sort());
    });
    it(`passes the form Odoo ${series.join(', ')} take`, () => {
      expect(checkAddon([FIXTURES[id]!.good], series)).toEqual([]);
    });
  });

  it('reports the file and line of a violation', () => {
    const [v] = checkAddon([{ path: 'views/v.xml', text: '<odoo>\n<record id="v" model="ir.ui.view">\n  <tree/>\n</record></odoo>' }], [18]);
    expect(v).toEqual(expect.objectContaining({ rule: 'list-view', series: 18, file: 'views/v.xml', line: 3 }));
  });

  it('lets drmoto_compat.py name both sides of a rename (it picks one per series)', () => {
    const compat = { path: 'models/drmoto_compat.py', text: 'USER_GROUPS = "groups_id" if SERIES < 19 else "group_ids"\nSTORABLE = {"detailed_type": "product"}\n' };
    expect(checkAddon([compat], SERIES)).toEqual([]);
    expect(checkAddon([{ ...compat, path: 'models/other.py' }], SERIES).map((v) => v.rule)).toEqual(expect.arrayContaining(['user-group-ids', 'product-type']));
  });

  it('ignores Python comments and docstrings but not one-line strings', () => {
    expect(blankPython('x = 1  # name_get\n"""user_has_groups"""\ny = "groups_id"\n')).toBe('x = 1            \n                     \ny = "groups_id"\n');
  });

  it('takes an _sql_constraints list without @sql_constraints as a violation on 19+ only', () => {
    const bare = model('    _sql_constraints = [("a_uniq", "unique(a)", "DRM_DUP_KEY: a")]');
    expect(seriesOf([{ path: 'models/m.py', text: bare }], 'model-constraint')).toEqual([19, 20]);
    // another class's decorator does not cover it
    const two = `${model('    _sql_constraints = []', '@sql_constraints\n')}\nclass N(models.Model):\n    _name = "n"\n    _sql_constraints = [("b_uniq", "unique(b)", "b")]\n`;
    expect(checkAddon([{ path: 'models/m.py', text: two }], [19]).map((v) => v.line)).toEqual([two.split('\n').findIndex((l) => l.includes('b_uniq')) + 1]);
  });
});
