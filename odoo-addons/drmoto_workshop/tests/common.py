from psycopg2 import IntegrityError

from odoo import Command
from odoo.tests.common import TransactionCase
from odoo.tools import mute_logger
from odoo.addons.drmoto_workshop.models.drmoto_compat import USER_GROUPS, integrity_error_message, product_type_vals, tax_price_include_vals



class DrmotoCase(TransactionCase):
    """Shop 1 and shop 2, one user per workshop role (groups set explicitly, so no
    'Contact Creation' from the default user template), and the customer Zhang San."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.company2 = cls.env["res.company"].create({"name": "DrMoto Shop 2"})
        cls.user_bff = cls._make_user("t_bff", "group_drmoto_integration", companies=cls.company | cls.company2)
        cls.user_advisor = cls._make_user("t_advisor", "group_drmoto_advisor")
        cls.user_technician = cls._make_user("t_technician", "group_drmoto_technician")
        cls.user_keeper = cls._make_user("t_keeper", "group_drmoto_keeper")
        cls.user_cashier = cls._make_user("t_cashier", "group_drmoto_cashier")
        cls.user_manager = cls._make_user("t_manager", "group_drmoto_manager")
        cls.user_plain = cls._make_user("t_plain", None)
        cls.customer = cls.env["res.partner"].create({
            "name": "Zhang San",
            "phone": "+86 138-0013-8000",
            "drmoto_is_customer": True,
            "customer_rank": 1,
        })
        cls.customer2 = cls.env["res.partner"].create({
            "name": "Li Si",
            "phone": "13900139000",
            "drmoto_is_customer": True,
            "customer_rank": 1,
        })

    @classmethod
    def _make_user(cls, login, group, companies=None):
        companies = companies or cls.company
        groups = cls.env.ref("base.group_user")
        if group:
            groups |= cls.env.ref("drmoto_workshop.%s" % group)
        return cls.env["res.users"].with_context(no_reset_password=True).create({
            "name": login.replace("t_", "Test ").title(),
            "login": login,
            "email": "%s@example.com" % login,
            "company_id": cls.company.id,
            "company_ids": [Command.set(companies.ids)],
            USER_GROUPS: [Command.set(groups.ids)],
        })

    def as_bff(self, model, actor=None):
        """``model`` as the integration user, acting for ``actor`` (a drmoto_actor dict)."""
        env = self.env(user=self.user_bff)
        if actor is not None:
            env = env(context=dict(env.context, drmoto_actor=actor))
        return env[model]

    def assertDrmCode(self, exc_cm, code):
        self.assertTrue(
            str(exc_cm.exception).startswith(code + ":"),
            "expected %s, got %r" % (code, str(exc_cm.exception)),
        )

    def assertUniqueViolation(self, func, code):
        """``func`` violates a table constraint; Odoo's RPC layer turns it into
        'The operation cannot be completed: <code>: ...' (odoo.service.model)."""
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError) as cm:
            with self.cr.savepoint():
                func()
                self.env.flush_all()
        message = integrity_error_message(self.env, cm.exception)
        self.assertTrue(
            message.startswith("The operation cannot be completed: %s:" % code),
            "unexpected fault message %r" % message,
        )
        return message


class WorkOrderCase(DrmotoCase):
    """DrmotoCase plus vehicles, two sale taxes (13 % included, 15 % excluded), parts and
    helpers that drive a work order through the BFF's calls.

    ``drmoto_chart = True``: the shop gets the generic chart of accounts first (sales journal,
    receivable, outstanding receipts: what invoices and payments need; a fresh test database
    without a country has none)."""

    drmoto_chart = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.drmoto_chart and not cls.company.chart_template:
            cls.env["account.chart.template"].try_loading("generic_coa", company=cls.company, install_demo=False)
        cls.WorkOrder = cls.env["drmoto.work.order"]
        cls.StatusLog = cls.env["drmoto.wo.status.log"]
        cls.AuditLog = cls.env["drmoto.audit.log"]
        Vehicle = cls.env["drmoto.vehicle"]
        cls.vehicle = Vehicle.create({"plate_no": "粤B12345", "partner_id": cls.customer.id})
        cls.vehicle2 = Vehicle.create({"plate_no": "粤A54321", "partner_id": cls.customer2.id})
        country = cls.company.account_fiscal_country_id or cls.company.country_id or cls.env.ref("base.cn")
        group = cls.env["account.tax.group"].create({"name": "VAT", "company_id": cls.company.id, "country_id": country.id})
        Tax = cls.env["account.tax"]
        cls.tax_incl = Tax.create({
            "name": "VAT 13% (incl.) test", "amount": 13.0, "amount_type": "percent", **tax_price_include_vals(True),
            "type_tax_use": "sale", "company_id": cls.company.id, "country_id": country.id, "tax_group_id": group.id,
        })
        cls.tax_excl = Tax.create({
            "name": "VAT 15% test", "amount": 15.0, "amount_type": "percent", **tax_price_include_vals(False),
            "type_tax_use": "sale", "company_id": cls.company.id, "country_id": country.id, "tax_group_id": group.id,
        })
        cls.company.account_sale_tax_id = cls.tax_incl
        Product = cls.env["product.product"]
        cls.pads = Product.create({
            "name": "Front brake pads", **product_type_vals("product"), "list_price": 180.0,
            "taxes_id": [Command.set(cls.tax_excl.ids)],
        })
        cls.oil = Product.create({
            "name": "Engine oil 1L", **product_type_vals("product"), "list_price": 85.0, "taxes_id": [Command.clear()],
        })
        cls.staff_advisor = {"kind": "staff", "uid": cls.user_advisor.id}
        cls.staff_technician = {"kind": "staff", "uid": cls.user_technician.id}
        cls.staff_cashier = {"kind": "staff", "uid": cls.user_cashier.id}
        cls.staff_keeper = {"kind": "staff", "uid": cls.user_keeper.id}
        cls.staff_manager = {"kind": "staff", "uid": cls.user_manager.id}
        cls.as_customer = {"kind": "customer", "partner_id": cls.customer.id}
        cls.as_customer2 = {"kind": "customer", "partner_id": cls.customer2.id}
        cls.as_system = {"kind": "system"}
        cls._key_seq = 0

    def key(self):
        type(self)._key_seq += 1
        return "test-key-%s" % type(self)._key_seq

    def wo_as(self, wo, actor):
        """``wo`` seen by the integration user acting for ``actor``."""
        return self.as_bff("drmoto.work.order", actor).browse(wo.id)

    def open_wo(self, actor=None, **vals):
        vals = dict({"partner_id": self.customer.id, "vehicle_id": self.vehicle.id, "symptom": "brakes squeal"}, **vals)
        result = self.as_bff("drmoto.work.order", actor or self.staff_advisor).action_open(vals, self.key())
        return self.WorkOrder.browse(result["id"])

    def act(self, wo, method, actor, *args, revision=None, key=None):
        """Call ``method`` like the BFF does: positional revision, request key, then ``args``."""
        rev = wo.revision if revision is None else revision
        return getattr(self.wo_as(wo, actor), method)(rev, key or self.key(), *args)

    def labor(self, price=100.0, **extra):
        return dict({"kind": "labor", "description": "Labor", "qty": 1, "price_unit": price}, **extra)

    def part(self, product, qty=1, price=None, **extra):
        line = {"kind": "part", "product_id": product.id, "description": product.name, "qty": qty,
                "price_unit": product.list_price if price is None else price}
        line.update(extra)
        return line

    def to_state(self, state, lines=None):
        """A fresh work order advanced to ``state`` along the happy path."""
        wo = self.open_wo()
        path = ["checkin", "diagnosing", "quoted", "in_progress", "ready", "delivered"]
        if state == "draft":
            return wo
        self.act(wo, "action_checkin", self.staff_advisor)
        if state == "checkin":
            return wo
        self.act(wo, "action_start_diagnosis", self.staff_technician)
        if state == "diagnosing":
            return wo
        self.act(wo, "action_create_quote", self.staff_advisor, lines if lines is not None else [self.labor()])
        self.act(wo, "action_send_quote", self.staff_advisor, wo.current_quote_id.version)
        if state == "quoted":
            return wo
        self.act(wo, "action_confirm_quote", self.as_customer, wo.current_quote_id.version)
        self.act(wo, "action_start_repair", self.staff_technician)
        if state == "in_progress":
            return wo
        self.act(wo, "action_mark_ready", self.staff_technician)
        if state == "ready":
            return wo
        assert state in path, state
        raise AssertionError("use action_deliver in the test")

    def sync(self, wo, actor=None, key=None):
        return self.wo_as(wo, actor or self.as_system).action_sync_invoices(key or self.key())

    def pay(self, wo, amount, actor=None, ref=None, channel="offline"):
        return self.wo_as(wo, actor or self.as_system).action_register_payment(
            ref or "ledger-%s" % self.key(), amount, channel,
        )

    def set_paid(self, wo, amount):
        """What the settlement job does for one ledger charge (needs ``drmoto_chart``): sync the
        invoices, register the payment."""
        self.sync(wo)
        self.pay(wo, amount)
        wo.invalidate_recordset()


class PartsCase(WorkOrderCase):
    """WorkOrderCase plus stock in the shop's warehouse and helpers for the parts actions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.stock_loc = cls.warehouse.lot_stock_id
        cls.customer_loc = cls.customer.property_stock_customer
        cls.Picking = cls.env["stock.picking"]
        cls.set_stock(cls.pads, 10)
        cls.set_stock(cls.oil, 5)

    @classmethod
    def set_stock(cls, product, qty):
        """Quantity on hand at the warehouse stock location := ``qty``."""
        cls.env.invalidate_all()
        current = product.with_context(location=cls.stock_loc.id).qty_available
        cls.env["stock.quant"]._update_available_quantity(product, cls.stock_loc, qty - current)
        cls.env.invalidate_all()

    def on_hand(self, product):
        self.env.invalidate_all()
        return product.with_context(location=self.stock_loc.id).qty_available

    def free(self, product):
        self.env.invalidate_all()
        return product.with_context(location=self.stock_loc.id).free_qty

    def issue(self, wo, lines, actor=None, key=None):
        return self.wo_as(wo, actor or self.staff_keeper).action_issue_parts(key or self.key(), lines)

    def give_back(self, wo, lines, actor=None, key=None):
        return self.wo_as(wo, actor or self.staff_keeper).action_return_parts(key or self.key(), lines)

    def request(self, wo, lines, actor=None, key=None):
        return self.wo_as(wo, actor or self.staff_technician).action_request_parts(key or self.key(), lines)

    def line(self, product, qty):
        return {"product_id": product.id, "qty": qty}

    def part_of(self, wo, product):
        wo.invalidate_recordset()
        return wo.part_ids.filtered(lambda p: p.product_id == product)

    def counts(self, wo):
        """What an action may leave behind: pickings, moves, log and audit rows, quants."""
        self.env.invalidate_all()
        return (
            self.Picking.search_count([("drmoto_work_order_id", "=", wo.id)]),
            self.env["stock.move"].search_count([("drmoto_work_order_id", "=", wo.id)]),
            self.StatusLog.search_count([("work_order_id", "=", wo.id)]),
            self.AuditLog.search_count([("work_order_id", "=", wo.id)]),
            self.on_hand(self.pads),
            self.on_hand(self.oil),
            len(wo.part_ids),
        )
