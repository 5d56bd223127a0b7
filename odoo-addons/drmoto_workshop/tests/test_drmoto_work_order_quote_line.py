from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import WorkOrderCase


@tagged("post_install", "-at_install")
class TestDrmotoWorkOrderQuoteLine(WorkOrderCase):
    def quote(self, lines):
        wo = self.to_state("diagnosing")
        result = self.act(wo, "action_create_quote", self.staff_advisor, lines)
        return self.env["drmoto.work.order.quote"].browse(result["quote_id"])

    def test_totals_tax_included_and_excluded(self):
        quote = self.quote([
            self.labor(113.0, tax_ids=[self.tax_incl.id]),  # 100 + 13 included
            self.part(self.pads, qty=2, price=180.0),  # product tax: 15 % excluded -> 360 + 54
            self.labor(10.0, discount=50.0, tax_ids=[self.tax_excl.id]),  # 5 + 0.75
            self.labor(33.33, tax_ids=[]),  # no tax
        ])
        l_incl, l_pads, l_disc, l_none = quote.line_ids.sorted("sequence")
        self.assertEqual((l_incl.price_subtotal, l_incl.price_tax, l_incl.price_total), (100.0, 13.0, 113.0))
        self.assertEqual(l_pads.tax_ids, self.tax_excl)
        self.assertEqual((l_pads.price_subtotal, l_pads.price_tax, l_pads.price_total), (360.0, 54.0, 414.0))
        self.assertEqual((l_disc.price_subtotal, l_disc.price_tax, l_disc.price_total), (5.0, 0.75, 5.75))
        self.assertFalse(l_none.tax_ids)
        self.assertEqual(l_none.price_total, 33.33)
        self.assertEqual(quote.amount_untaxed, 498.33)
        self.assertEqual(quote.amount_tax, 67.75)
        self.assertEqual(quote.amount_total, 566.08)

    def test_rounding_per_line(self):
        # 13 % included in 10.00: 10 / 1.13 = 8.849... -> 8.85 untaxed, 1.15 tax, per line
        quote = self.quote([self.labor(10.0, tax_ids=[self.tax_incl.id]) for _i in range(3)])
        self.assertEqual([l.price_subtotal for l in quote.line_ids], [8.85, 8.85, 8.85])
        self.assertEqual((quote.amount_untaxed, quote.amount_tax, quote.amount_total), (26.55, 3.45, 30.0))

    def test_default_taxes(self):
        quote = self.quote([
            self.labor(100.0),  # the shop's default sale tax
            self.part(self.pads),  # the product's sale tax
            self.part(self.oil),  # product without taxes: the shop's default
        ])
        labor, pads, oil = quote.line_ids.sorted("sequence")
        self.assertEqual(labor.tax_ids, self.tax_incl)
        self.assertEqual(pads.tax_ids, self.tax_excl)
        self.assertEqual(oil.tax_ids, self.tax_incl)
        self.assertEqual(labor.price_total, 100.0)
        self.assertEqual(oil.price_subtotal, 75.22)

    def test_line_validation(self):
        wo = self.to_state("diagnosing")
        other_tax = self.env["account.tax"].create({
            "name": "Purchase tax", "amount": 5, "type_tax_use": "purchase", "company_id": self.company.id,
            "country_id": self.tax_incl.country_id.id, "tax_group_id": self.tax_incl.tax_group_id.id,
        })
        bad_lines = [
            "x",
            [{"kind": "part", "description": "no product", "qty": 1, "price_unit": 1}],
            [{"kind": "labor", "description": "x", "qty": 0, "price_unit": 1}],
            [{"kind": "labor", "description": "x", "qty": 1, "price_unit": -1}],
            [{"kind": "labor", "description": "x", "qty": 1, "price_unit": 1, "discount": 101}],
            [{"kind": "labor", "description": "", "qty": 1, "price_unit": 1}],
            [{"kind": "other", "description": "x", "qty": 1, "price_unit": 1}],
            [{"kind": "labor", "description": "x", "qty": 1, "price_unit": 1, "tax_ids": [other_tax.id]}],
            [{"kind": "labor", "description": "x", "qty": True, "price_unit": 1}],
            [{"kind": "labor", "description": "x", "qty": 1, "price_unit": 1, "color": "red"}],
            [{"kind": "part", "product_id": 999999, "description": "x", "qty": 1, "price_unit": 1}],
        ]
        for lines in bad_lines:
            with self.subTest(lines=lines), self.assertRaises(UserError) as cm:
                self.act(wo, "action_create_quote", self.staff_advisor, lines)
            self.assertDrmCode(cm, "DRM_VALIDATION")
        self.assertFalse(wo.quote_ids)

    def test_price_override_and_discount_are_audited(self):
        quote = self.quote([
            self.part(self.pads, price=180.0),  # list price: nothing
            self.part(self.pads, price=150.0),  # override
            self.part(self.oil, discount=10.0),  # discount
            self.labor(99.0),  # labor without product: nothing
        ])
        rows = self.AuditLog.search([("work_order_id", "=", quote.work_order_id.id)], order="id")
        self.assertEqual(rows.mapped("action"), ["price_override", "discount"])
        override = rows[0]
        self.assertEqual(override.res_model, "drmoto.work.order.quote.line")
        self.assertEqual(override.actor_user_id, self.user_advisor)
        self.assertIn("180", override.before)
        self.assertIn("150", override.after)
        self.assertTrue(override.request_key.startswith("test-key-"))
        # an edit of a draft line in the web UI is audited too
        line = quote.line_ids.sorted("sequence")[0]
        line.with_user(self.user_advisor).write({"price_unit": 170.0})
        self.assertEqual(self.AuditLog.search_count([("res_id", "=", line.id), ("res_model", "=", line._name)]), 1)

    def test_ui_line_defaults_from_product(self):
        quote = self.quote([self.labor(1.0)])
        quote.with_user(self.user_advisor).write({"line_ids": [Command.create({"kind": "part", "product_id": self.pads.id, "qty": 2})]})
        line = quote.line_ids.filtered("product_id")
        self.assertEqual((line.description, line.price_unit, line.tax_ids), ("Front brake pads", 180.0, self.tax_excl))
        self.assertEqual(line.price_total, 414.0)
