from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import WorkOrderCase


@tagged("post_install", "-at_install")
class TestDrmotoWorkOrderClose(WorkOrderCase):
    """Settled = nothing due AND net invoiced = latest confirmed total - refunded; the work order
    closes once, whichever of delivery and settlement comes last."""

    drmoto_chart = True

    def test_close_only_when_delivered_paid_and_invoiced(self):
        wo = self.to_state("ready", lines=[self.labor(99.99, tax_ids=self.tax_excl.ids)])
        total = wo.amount_total
        # paid but not invoiced: the settlement job's order is sync, pay, close -- a payment alone
        # (the sync failed) leaves the work order open
        self.pay(wo, total)
        self.assertEqual(wo.amount_due, 0.0)
        result = self.act(wo, "action_close", self.as_system)
        self.assertEqual((result["closed"], result["state"]), (False, "ready"))
        self.assertTrue(result["reason"].startswith("DRM_WO_STATE:"))
        result = self.act(wo, "action_deliver", self.staff_advisor)
        self.assertEqual((result["state"], result["closed"]), ("delivered", False))
        self.assertTrue(result["reason"].startswith("DRM_NOT_INVOICED:"), result["reason"])
        self.assertIn("0.00 %s invoiced, not %.2f" % (wo.currency_id.name, total), result["reason"])
        logs, revision = len(wo.status_log_ids), wo.revision
        result = self.act(wo, "action_close", self.as_system)
        self.assertEqual((result["closed"], result["log_id"], result["revision"]), (False, False, revision))
        self.assertTrue(result["reason"].startswith("DRM_NOT_INVOICED:"))
        self.assertEqual((len(wo.status_log_ids), wo.revision), (logs, revision))
        # invoiced: closes, exactly once
        self.sync(wo)
        result = self.act(wo, "action_close", self.as_system, key="close-1")
        self.assertEqual((result["closed"], result["state"], result["reason"]), (True, "closed", False))
        self.assertTrue(wo.closed_at)
        self.assertEqual(self.act(wo, "action_close", self.staff_cashier, key="close-1"), dict(result, replayed=True))
        again = self.act(wo, "action_close", self.as_system)
        self.assertFalse(again["closed"])
        self.assertTrue(again["reason"].startswith("DRM_WO_STATE:"))
        self.assertEqual(self.StatusLog.search_count([("work_order_id", "=", wo.id), ("action", "=", "close")]), 1)

    def test_invoiced_but_owing_does_not_close(self):
        wo = self.to_state("ready", lines=[self.labor(80.0)])
        self.sync(wo)
        self.pay(wo, 30.0)
        result = self.act(wo, "action_deliver", self.staff_manager, True, "trusted customer")
        self.assertEqual((result["state"], result["closed"]), ("delivered", False))
        self.assertTrue(result["reason"].startswith("DRM_MONEY_OWING:"))
        # the settlement job brings the rest: sync (nothing to do), pay, close
        self.assertFalse(self.sync(wo)["invoice_ids"])
        self.pay(wo, 50.0)
        self.assertTrue(self.act(wo, "action_close", self.as_system)["closed"])

    def test_deliver_closes_when_settled(self):
        wo = self.to_state("ready", lines=[self.labor(45.5, tax_ids=self.tax_incl.ids)])
        self.set_paid(wo, wo.amount_total)
        result = self.act(wo, "action_deliver", self.staff_advisor, key="deliver-1")
        self.assertEqual((result["state"], result["closed"], result["reason"]), ("closed", True, False))
        self.assertEqual(wo.state, "closed")
        self.assertEqual(self.act(wo, "action_deliver", self.staff_advisor, key="deliver-1"),
                         dict(result, replayed=True))
        self.assertEqual(self.StatusLog.search_count([("work_order_id", "=", wo.id), ("action", "=", "close")]), 1)

    def test_paid_after_delivery_closes_through_the_settlement(self):
        wo = self.to_state("ready", lines=[self.labor(20.0)])
        self.sync(wo)
        self.pay(wo, 5.0)
        self.act(wo, "action_deliver", self.staff_manager, True)
        # the job for the next ledger charge: sync, pay, close
        self.assertFalse(self.sync(wo)["invoice_ids"])
        self.pay(wo, 15.0)
        result = self.act(wo, "action_close", self.as_system)
        self.assertEqual((result["closed"], result["state"]), (True, "closed"))

    def test_a_new_version_after_payment_needs_its_supplement(self):
        wo = self.to_state("in_progress", lines=[self.labor(20.0)])
        self.set_paid(wo, 20.0)
        self.act(wo, "action_create_quote", self.staff_advisor, [self.labor(20.0), self.labor(5.0, description="Wash")])
        self.act(wo, "action_send_quote", self.staff_advisor, wo.current_quote_id.version)
        self.act(wo, "action_confirm_quote", self.as_customer, wo.current_quote_id.version)
        self.act(wo, "action_mark_ready", self.staff_technician)
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_deliver", self.staff_advisor)
        self.assertDrmCode(cm, "DRM_MONEY_OWING")
        self.set_paid(wo, wo.amount_due)
        self.assertEqual(wo.amount_invoiced, wo.amount_total)
        self.assertTrue(self.act(wo, "action_deliver", self.staff_advisor)["closed"])

    def test_overpaid_is_money_held(self):
        wo = self.to_state("ready", lines=[self.labor(10.0)])
        self.set_paid(wo, 15.0)
        result = self.act(wo, "action_deliver", self.staff_advisor)
        self.assertEqual((result["state"], result["closed"]), ("delivered", False))
        self.assertTrue(result["reason"].startswith("DRM_MONEY_HELD:"))

    def test_cancel_refused_while_money_is_held(self):
        wo = self.to_state("in_progress", lines=[self.labor(10.0)])
        self.set_paid(wo, 10.0)
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_cancel", self.staff_manager, "changed mind")
        self.assertDrmCode(cm, "DRM_MONEY_HELD")
        self.assertIn("refund them first", str(cm.exception))
        self.assertEqual(wo.state, "in_progress")
        # a deposit before any invoice holds money too
        deposit = self.to_state("checkin")
        self.pay(deposit, 5.0)
        with self.assertRaises(UserError) as cm:
            self.act(deposit, "action_cancel", self.staff_advisor, "no")
        self.assertDrmCode(cm, "DRM_MONEY_HELD")

    def test_close_actors(self):
        wo = self.to_state("in_progress", lines=[self.labor(0.0)])
        for actor in (self.staff_advisor, self.staff_technician, self.staff_keeper, self.as_customer):
            with self.subTest(actor=actor), self.assertRaises(AccessError) as cm:
                self.act(wo, "action_close", actor)
            self.assertDrmCode(cm, "DRM_FORBIDDEN")
