from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import WorkOrderCase
from odoo.addons.drmoto_workshop.models.drmoto_compat import payment_state

REFUND_KEYS = {"id", "payment_id", "credit_note_id", "amount_paid", "amount_refunded", "amount_credited",
               "amount_due", "replayed"}


@tagged("post_install", "-at_install")
class TestDrmotoRefund(WorkOrderCase):
    """action_register_refund: an outbound payment per ledger reference plus, for the part that
    lowers the price, a credit note; a refund never makes money due again."""

    drmoto_chart = True

    def refund(self, wo, amount, credit, ref=None, actor=None, channel="wechat"):
        return self.wo_as(wo, actor or self.as_system).action_register_refund(
            ref or "ledger-%s" % self.key(), amount, channel, credit,
        )

    def moves(self, wo, move_type):
        self.env.invalidate_all()
        return self.env["account.move"].search(
            [("drmoto_work_order_id", "=", wo.id), ("move_type", "=", move_type)], order="id")

    def test_goodwill_refund_lowers_price_and_paid_together(self):
        wo = self.to_state("in_progress", lines=[self.labor(100.0, tax_ids=self.tax_excl.ids)])
        self.set_paid(wo, 115.0)
        revision = wo.revision
        result = self.refund(wo, 20.0, 20.0, ref="re-1")
        self.assertEqual(set(result), REFUND_KEYS)
        note = self.moves(wo, "out_refund")
        self.assertEqual(len(note), 1)
        self.assertEqual((note.state, note.amount_total, note.drmoto_ledger_ref), ("posted", 20.0, "re-1/credit"))
        payment = self.env["account.payment"].browse(result["payment_id"])
        self.assertEqual((payment.payment_type, payment.amount, payment.drmoto_ledger_ref, payment_state(payment)),
                         ("outbound", 20.0, "re-1", "posted"))
        self.assertEqual(result, {"id": wo.id, "payment_id": payment.id, "credit_note_id": note.id,
                                  "amount_paid": 95.0, "amount_refunded": 20.0, "amount_credited": 20.0,
                                  "amount_due": 0.0, "replayed": False})
        self.assertEqual((wo.amount_invoiced, wo.amount_due, wo.revision), (95.0, 0.0, revision))
        # the sync has nothing to do: the refunded amount is not invoiced again
        self.assertEqual(self.sync(wo)["invoice_ids"], [])
        log = wo.status_log_ids.sorted("id")[-1]
        self.assertEqual((log.event, log.request_key), ("refund_registered", "ledger/re-1"))
        audit = self.AuditLog.search([("work_order_id", "=", wo.id), ("action", "=", "refund")])
        self.assertEqual((len(audit), audit.actor_kind, audit.res_model), (1, "system", "account.payment"))
        # a replay changes nothing
        again = self.refund(wo, 20.0, 20.0, ref="re-1")
        self.assertEqual(again, dict(result, replayed=True))
        self.assertEqual(len(self.moves(wo, "out_refund")), 1)
        self.assertEqual(self.AuditLog.search_count([("work_order_id", "=", wo.id), ("action", "=", "refund")]), 1)

    def test_returning_an_overpayment_has_no_credit_note(self):
        wo = self.to_state("in_progress", lines=[self.labor(100.0, tax_ids=self.tax_excl.ids)])
        self.set_paid(wo, 115.0)
        self.pay(wo, 20.0)
        self.assertEqual(wo.amount_due, -20.0)
        result = self.refund(wo, 20.0, 0.0, channel="offline")
        self.assertFalse(result["credit_note_id"])
        self.assertFalse(self.moves(wo, "out_refund"))
        self.assertEqual((wo.amount_paid, wo.amount_refunded, wo.amount_credited, wo.amount_due, wo.amount_invoiced),
                         (115.0, 20.0, 0.0, 0.0, 115.0))

    def test_refund_after_close_leaves_it_closed_and_settled(self):
        wo = self.to_state("ready", lines=[self.labor(50.0, tax_ids=self.tax_excl.ids)])
        self.set_paid(wo, 57.5)
        result = self.act(wo, "action_deliver", self.staff_advisor)
        self.assertTrue(result["closed"])
        self.refund(wo, 7.5, 7.5)
        self.assertEqual(wo.state, "closed")
        self.assertEqual((wo.amount_due, wo.amount_invoiced, wo.amount_paid), (0.0, 50.0, 50.0))
        self.assertFalse(wo._drmoto_close_blocker(after_delivery=True))
        # a later version with more work still carries the credit
        self.assertEqual(wo.amount_total - wo.amount_credited, 50.0)

    def test_arguments_conflicts_and_actors(self):
        wo = self.to_state("in_progress", lines=[self.labor(40.0)])
        self.set_paid(wo, wo.amount_total)
        for amount, credit, channel in ((0.0, 0.0, "wechat"), (5.0, 6.0, "wechat"), (5.0, -1.0, "wechat"),
                                        (5.0, 0.0, "bitcoin")):
            with self.subTest(amount=amount, credit=credit, channel=channel), self.assertRaises(UserError) as cm:
                self.refund(wo, amount, credit, channel=channel)
            self.assertDrmCode(cm, "DRM_VALIDATION")
        for actor in (self.staff_technician, self.staff_advisor):
            with self.subTest(actor=actor), self.assertRaises(AccessError) as cm:
                self.refund(wo, 5.0, 5.0, actor=actor)
            self.assertDrmCode(cm, "DRM_FORBIDDEN")
        self.refund(wo, 5.0, 5.0, ref="re-x", actor=self.staff_cashier)
        for amount, credit, channel in ((6.0, 5.0, "wechat"), (5.0, 0.0, "wechat"), (5.0, 5.0, "stripe")):
            with self.subTest(amount=amount, credit=credit, channel=channel), self.assertRaises(UserError) as cm:
                self.refund(wo, amount, credit, ref="re-x", channel=channel)
            self.assertDrmCode(cm, "DRM_DUP_KEY")
        # a payment's ledger reference is not a refund's
        paid_ref = self.env["account.payment"].search(
            [("drmoto_work_order_id", "=", wo.id), ("payment_type", "=", "inbound")], limit=1).drmoto_ledger_ref
        with self.assertRaises(UserError) as cm:
            self.refund(wo, 1.0, 0.0, ref=paid_ref)
        self.assertDrmCode(cm, "DRM_DUP_KEY")
        self.assertEqual(self.env["account.payment"].search_count(
            [("drmoto_work_order_id", "=", wo.id), ("payment_type", "=", "outbound")]), 1)
