from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import WorkOrderCase
from odoo.addons.drmoto_workshop.models.drmoto_compat import PAYMENT_MEMO


@tagged("post_install", "-at_install")
class TestDrmotoInvoicingSecurity(WorkOrderCase):
    """Who may sync invoices and register payments; who reads the entries of work orders."""

    drmoto_chart = True

    def test_actors(self):
        wo = self.to_state("in_progress", lines=[self.labor(50.0)])
        for actor in (self.staff_advisor, self.staff_technician, self.staff_keeper, self.as_customer):
            with self.subTest(actor=actor):
                with self.assertRaises(AccessError) as cm:
                    self.sync(wo, actor=actor)
                self.assertDrmCode(cm, "DRM_FORBIDDEN")
                with self.assertRaises(AccessError) as cm:
                    self.pay(wo, 10.0, actor=actor)
                self.assertDrmCode(cm, "DRM_FORBIDDEN")
        self.assertFalse(self.env["account.move"].search([("drmoto_work_order_id", "=", wo.id)]))
        self.assertEqual(len(self.sync(wo, actor=self.staff_cashier)["invoice_ids"]), 1)
        self.pay(wo, 10.0, actor=self.staff_cashier)
        self.pay(wo, 10.0, actor=self.staff_manager)
        self.pay(wo, 10.0, actor=self.as_system)
        self.assertEqual(wo.amount_paid, 30.0)
        # staff payments are audited (the cashier's offline ones); the system's are the ledger's
        audit = self.AuditLog.search([("work_order_id", "=", wo.id), ("action", "=", "payment")])
        self.assertEqual(audit.mapped("actor_user_id"), self.user_manager | self.user_cashier)
        # the users themselves, without the integration user
        wo2 = self.to_state("in_progress", lines=[self.labor(50.0)])
        self.assertTrue(wo2.with_user(self.user_cashier).action_sync_invoices("own-key")["invoice_ids"])
        with self.assertRaises(AccessError):
            wo2.with_user(self.user_advisor).action_register_payment("r-adv", 5.0, "offline")

    def test_cashier_reads_the_entries_of_work_orders_only(self):
        wo = self.to_state("in_progress", lines=[self.labor(50.0)])
        invoice = self.env["account.move"].browse(self.sync(wo)["invoice_ids"])
        payment = self.env["account.payment"].browse(self.pay(wo, 20.0)["payment_id"])
        foreign = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.customer.id,
            "invoice_line_ids": [(0, 0, {"name": "Not a work order", "quantity": 1, "price_unit": 5.0})],
        })
        for user in (self.user_cashier, self.user_manager, self.user_bff):
            with self.subTest(user=user.login):
                Move = self.env["account.move"].with_user(user)
                self.assertEqual(Move.search([("id", "in", (invoice | foreign).ids)]), invoice)
                rows = Move.browse(invoice.id).read(["name", "amount_total", "state", "payment_state", "journal_id",
                                                     "invoice_line_ids", "drmoto_work_order_id"])
                self.assertEqual(rows[0]["amount_total"], invoice.amount_total)
                self.assertTrue(self.env["account.move.line"].with_user(user).search_count(
                    [("move_id", "=", invoice.id)]))
                self.assertEqual(self.env["account.payment"].with_user(user).browse(payment.id).read(
                    ["amount", "drmoto_ledger_ref"])[0]["drmoto_ledger_ref"], payment.drmoto_ledger_ref)
                with self.assertRaises(AccessError):
                    Move.browse(foreign.id).read(["name"])
                with self.assertRaises(AccessError):
                    Move.browse(invoice.id).write({"narration": "x"})
                with self.assertRaises(AccessError):
                    self.env["account.payment"].with_user(user).browse(payment.id).write({PAYMENT_MEMO: "x"})
                form = self.env["drmoto.work.order"].with_user(user).browse(wo.id).read(
                    ["invoice_ids", "payment_ids", "invoice_count", "payment_count", "amount_invoiced"])[0]
                self.assertEqual((form["invoice_ids"], form["payment_ids"]), (invoice.ids, payment.ids))
                self.assertEqual((form["invoice_count"], form["payment_count"]), (1, 1))
        for user in (self.user_technician, self.user_advisor, self.user_keeper):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.env["account.move"].with_user(user).browse(invoice.id).read(["name"])
                row = self.env["drmoto.work.order"].with_user(user).browse(wo.id).read(
                    ["amount_invoiced", "amount_paid", "amount_due", "invoice_count", "payment_count"])[0]
                self.assertEqual((row["amount_invoiced"], row["amount_paid"], row["invoice_count"]), (50.0, 20.0, 1))

    def test_form_views_load(self):
        for user in (self.user_cashier, self.user_technician, self.user_manager):
            with self.subTest(user=user.login):
                self.env["drmoto.work.order"].with_user(user).get_views([(False, "form")])
