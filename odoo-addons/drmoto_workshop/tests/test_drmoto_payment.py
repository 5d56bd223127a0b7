from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import WorkOrderCase
from odoo.addons.drmoto_workshop.models.drmoto_compat import outstanding_receipts_account, payment_state

PAYMENT_KEYS = {"id", "payment_id", "amount_paid", "amount_due", "replayed"}


@tagged("post_install", "-at_install")
class TestDrmotoPayment(WorkOrderCase):
    """action_register_payment: ONE posted inbound payment per ledger reference, reconciled with
    the work order's open invoices."""

    drmoto_chart = True

    def payments(self, wo):
        self.env.invalidate_all()
        return self.env["account.payment"].search([("drmoto_work_order_id", "=", wo.id)], order="id")

    def test_register_and_reconcile(self):
        wo = self.to_state("in_progress", lines=[self.labor(100.0, tax_ids=self.tax_excl.ids)])
        invoice = self.env["account.move"].browse(self.sync(wo)["invoice_ids"])
        self.assertEqual(wo.amount_total, 115.0)
        revision = wo.revision
        result = self.pay(wo, 40.0, ref="wx-tx-1", channel="wechat")
        self.assertEqual(set(result), PAYMENT_KEYS)
        payment = self.payments(wo)
        self.assertEqual(len(payment), 1)
        self.assertEqual(result, {"id": wo.id, "payment_id": payment.id, "amount_paid": 40.0, "amount_due": 75.0,
                                  "replayed": False})
        self.assertEqual((payment_state(payment), payment.payment_type, payment.partner_type, payment.amount),
                         ("posted", "inbound", "customer", 40.0))
        self.assertEqual((payment.partner_id, payment.drmoto_ledger_ref, payment.drmoto_channel),
                         (self.customer, "wx-tx-1", "wechat"))
        self.assertEqual((payment.journal_id.code, payment.journal_id.type), ("WXP", "bank"))
        self.assertEqual(payment.move_id.drmoto_work_order_id, wo)
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("partial", 75.0))
        self.assertEqual((wo.amount_paid, wo.amount_due, wo.revision), (40.0, 75.0, revision))
        log = wo.status_log_ids.sorted("id")[-1]
        self.assertEqual((log.event, log.action, log.request_key, log.actor_kind),
                         ("payment_registered", "register_payment", "ledger/wx-tx-1", "system"))
        self.assertFalse(self.AuditLog.search([("work_order_id", "=", wo.id), ("action", "=", "payment")]),
                         "the system's payments are in the BFF's ledger, not in the audit log")
        # the rest by Stripe: the invoice is paid (in payment until the bank statement matches it)
        self.pay(wo, 75.0, ref="pi_2", channel="stripe")
        self.assertEqual((wo.amount_paid, wo.amount_due), (115.0, 0.0))
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(self.payments(wo).journal_id.mapped("code"), ["WXP", "STRP"])

    def test_offline_money_is_audited_with_the_note(self):
        wo = self.to_state("in_progress", lines=[self.labor(30.0)])
        self.sync(wo)
        note = "card_terminal · ref SLIP-9 (recorded by staff:7)"
        result = self.wo_as(wo, self.as_system).action_register_payment("off_1", 30.0, "offline", note)
        audit = self.AuditLog.search([("work_order_id", "=", wo.id), ("action", "=", "payment")])
        self.assertEqual(len(audit), 1)
        self.assertEqual((audit.res_model, audit.res_id, audit.actor_kind, audit.note, audit.request_key),
                         ("account.payment", result["payment_id"], "system", note, "ledger/off_1"))
        self.assertIn('"channel": "offline"', audit.after)
        # a replay audits nothing more
        self.wo_as(wo, self.as_system).action_register_payment("off_1", 30.0, "offline", note)
        self.assertEqual(self.AuditLog.search_count([("work_order_id", "=", wo.id), ("action", "=", "payment")]), 1)

    def test_replay_and_conflicts(self):
        wo = self.to_state("in_progress", lines=[self.labor(30.0)])
        self.sync(wo)
        first = self.pay(wo, 30.0, ref="cash-1")
        logs = len(wo.status_log_ids)
        again = self.pay(wo, 30.0, ref="cash-1")
        self.assertEqual(again, dict(first, replayed=True))
        self.assertEqual((len(self.payments(wo)), len(wo.status_log_ids), wo.amount_paid), (1, logs, 30.0))
        for amount, channel in ((31.0, "offline"), (30.0, "wechat")):
            with self.subTest(amount=amount, channel=channel), self.assertRaises(UserError) as cm:
                self.pay(wo, amount, ref="cash-1", channel=channel)
            self.assertDrmCode(cm, "DRM_DUP_KEY")
        other = self.to_state("in_progress", lines=[self.labor(30.0)])
        with self.assertRaises(UserError) as cm:
            self.pay(other, 30.0, ref="cash-1")
        self.assertDrmCode(cm, "DRM_DUP_KEY")
        self.assertIn(wo.name, str(cm.exception))
        # the database says the same when two calls race
        other_payment = self.env["account.payment"].browse(self.pay(other, 1.0, ref="cash-2")["payment_id"])
        self.assertUniqueViolation(
            lambda: self.env.cr.execute(
                "UPDATE account_move SET drmoto_ledger_ref = 'cash-1' WHERE id = %s", [other_payment.move_id.id]
            ),
            "DRM_DUP_KEY",
        )

    def test_invalid_arguments(self):
        wo = self.to_state("in_progress", lines=[self.labor(30.0)])
        for args in (("r1", 0, "offline"), ("r1", -5.0, "offline"), ("r1", 0.001, "offline"), ("r1", "10", "offline"),
                     ("r1", True, "offline"), ("r1", 10.0, "alipay"), ("r1", 10.0, False), ("", 10.0, "offline"),
                     ("x" * 256, 10.0, "offline"), (False, 10.0, "offline")):
            with self.subTest(args=args), self.assertRaises(UserError) as cm:
                self.wo_as(wo, self.as_system).action_register_payment(*args)
            self.assertDrmCode(cm, "DRM_VALIDATION")
        self.assertFalse(self.payments(wo))

    def test_states(self):
        # before any invoice (a deposit): registered, left open, consumed by the invoice later
        wo = self.to_state("checkin")
        self.pay(wo, 20.0)
        self.assertEqual((wo.amount_paid, wo.amount_due), (20.0, -20.0))
        payment = self.payments(wo)
        self.assertFalse(payment.is_reconciled)
        # cancelled: refused (and cancelling was refused while the money is held)
        cancelled = self.to_state("checkin")
        self.act(cancelled, "action_cancel", self.staff_advisor, "no show")
        with self.assertRaises(UserError) as cm:
            self.pay(cancelled, 10.0)
        self.assertDrmCode(cm, "DRM_WO_STATE")
        self.assertIn("'cancelled'", str(cm.exception))

    def test_payment_before_the_invoice_is_reconciled_by_the_sync(self):
        wo = self.to_state("in_progress", lines=[self.labor(50.0)])
        self.pay(wo, 50.0)
        invoice = self.env["account.move"].browse(self.sync(wo)["invoice_ids"])
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertTrue(self.payments(wo).is_reconciled)

    def test_late_payment_on_a_closed_work_order(self):
        wo = self.to_state("ready", lines=[self.labor(10.0)])
        self.set_paid(wo, 10.0)
        self.assertTrue(self.act(wo, "action_deliver", self.staff_advisor)["closed"])
        result = self.pay(wo, 5.0)
        self.assertEqual((result["amount_paid"], result["amount_due"]), (15.0, -5.0))
        self.assertEqual(wo.state, "closed")

    def test_journals_created_once_per_channel(self):
        Journal = self.env["account.journal"]
        self.assertFalse(Journal.search([("code", "in", ("WXP", "STRP", "CASH")), ("company_id", "=", self.company.id)]))
        wo = self.to_state("in_progress", lines=[self.labor(300.0)])
        self.sync(wo)
        for channel, code, kind in (("wechat", "WXP", "bank"), ("stripe", "STRP", "bank"), ("offline", "CASH", "cash")):
            for _i in range(2):
                self.pay(wo, 10.0, channel=channel)
            journal = Journal.search([("code", "=", code), ("company_id", "=", self.company.id)])
            self.assertEqual((len(journal), journal.type), (1, kind))
            self.assertTrue(journal.default_account_id)
            method_line = journal.inbound_payment_method_line_ids[:1]
            self.assertTrue(method_line)
            payment = self.payments(wo).filtered(lambda p: p.journal_id == journal)[:1]
            self.assertEqual(payment.outstanding_account_id, outstanding_receipts_account(self.company))
        self.assertEqual(wo.amount_paid, 60.0)

    def test_linked_entries_change_only_through_the_actions(self):
        wo = self.to_state("in_progress", lines=[self.labor(30.0)])
        invoice = self.env["account.move"].browse(self.sync(wo)["invoice_ids"])
        payment = self.env["account.payment"].browse(self.pay(wo, 30.0)["payment_id"])
        for call in (invoice.button_draft, invoice.button_cancel, payment.action_draft, payment.action_cancel,
                     lambda: invoice.write({"drmoto_work_order_id": False}),
                     lambda: payment.write({"drmoto_ledger_ref": "other"}),
                     lambda: self.env["account.move"].create({"move_type": "out_invoice", "partner_id": self.customer.id,
                                                              "drmoto_work_order_id": wo.id})):
            with self.subTest(call=call), self.assertRaises(UserError) as cm:
                call()
            self.assertDrmCode(cm, "DRM_VALIDATION")
        self.assertEqual((wo.amount_invoiced, wo.amount_paid), (30.0, 30.0))
        # an RPC context can't unlock the guard
        with self.assertRaises(UserError):
            invoice.with_context(drmoto_wo_action=True).button_draft()

    def test_amount_paid_follows_a_cancelled_payment(self):
        """amount_paid is computed from the posted payments (the guard keeps the UI away; an
        accountant with sudo rights to the accounting could still reset one)."""
        wo = self.to_state("in_progress", lines=[self.labor(30.0)])
        self.sync(wo)
        payment = self.env["account.payment"].browse(self.pay(wo, 30.0)["payment_id"])
        from ..models.drmoto_work_order import ACTION_CTX, ACTION_TOKEN
        payment.with_context(**{ACTION_CTX: ACTION_TOKEN}).action_draft()
        self.env.invalidate_all()
        self.assertEqual((wo.amount_paid, wo.amount_due), (0.0, 30.0))
