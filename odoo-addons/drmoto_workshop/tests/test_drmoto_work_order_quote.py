from odoo import Command
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.tests import tagged

from .common import WorkOrderCase


@tagged("post_install", "-at_install")
class TestDrmotoWorkOrderQuote(WorkOrderCase):
    def test_create_quote_result_and_versions(self):
        wo = self.to_state("diagnosing")
        result = self.act(wo, "action_create_quote", self.staff_advisor, [self.labor(100.0)], "first estimate")
        self.assertEqual(result["version"], 1)
        self.assertEqual(result["state"], "diagnosing")
        v1 = self.env["drmoto.work.order.quote"].browse(result["quote_id"])
        self.assertEqual((v1.state, v1.note, v1.work_order_id), ("draft", "first estimate", wo))
        self.assertEqual(wo.current_quote_id, v1)
        # v2 supersedes the open draft v1
        result = self.act(wo, "action_create_quote", self.staff_advisor, [self.labor(120.0)])
        v2 = self.env["drmoto.work.order.quote"].browse(result["quote_id"])
        self.assertEqual((v2.version, v2.state, v1.state), (2, "draft", "superseded"))
        self.act(wo, "action_send_quote", self.staff_advisor, 2)
        self.assertEqual((wo.state, v2.state), ("quoted", "sent"))
        self.assertTrue(v2.sent_at)
        # v3 supersedes the sent v2; v1 and v2 stay readable and unchanged
        self.act(wo, "action_create_quote", self.staff_advisor, [self.labor(90.0)])
        v3 = wo.current_quote_id
        self.assertEqual((v3.version, v2.state), (3, "superseded"))
        self.assertEqual(v1.amount_total, 100.0)
        self.assertEqual(v2.amount_total, 120.0)
        rows = self.as_bff("drmoto.work.order.quote", self.as_customer).search_read(
            [("work_order_id", "=", wo.id)], ["version", "state", "amount_total"], order="version asc")
        self.assertEqual([(r["version"], r["state"]) for r in rows], [(1, "superseded"), (2, "superseded"), (3, "draft")])

    def test_send_confirm_reject_act_on_the_latest_only(self):
        wo = self.to_state("diagnosing")
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_send_quote", self.staff_advisor, False)
        self.assertDrmCode(cm, "DRM_QUOTE_STATE")  # no quote yet
        self.act(wo, "action_create_quote", self.staff_advisor, [self.labor()])
        self.act(wo, "action_create_quote", self.staff_advisor, [self.labor(80.0)])
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_send_quote", self.staff_advisor, 1)
        self.assertDrmCode(cm, "DRM_QUOTE_STATE")
        with self.assertRaises(MissingError) as cm:
            self.act(wo, "action_send_quote", self.staff_advisor, 5)
        self.assertDrmCode(cm, "DRM_NOT_FOUND")
        self.act(wo, "action_send_quote", self.staff_advisor, 2)
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_send_quote", self.staff_advisor, 2)
        self.assertDrmCode(cm, "DRM_QUOTE_STATE")
        self.assertIn("is in state 'sent'", str(cm.exception))
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_confirm_quote", self.as_customer, 1)  # superseded
        self.assertDrmCode(cm, "DRM_QUOTE_STATE")
        result = self.act(wo, "action_reject_quote", self.as_customer, 2, "too expensive")
        self.assertEqual((result["version"], result["state"]), (2, "quoted"))
        self.assertEqual(wo.current_quote_id.state, "rejected")
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_confirm_quote", self.as_customer, 2)  # rejected
        self.assertDrmCode(cm, "DRM_QUOTE_STATE")
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_start_repair", self.staff_technician)
        self.assertDrmCode(cm, "DRM_QUOTE_STATE")  # no confirmed version
        self.act(wo, "action_create_quote", self.staff_advisor, [self.labor(60.0)])
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_confirm_quote", self.as_customer, 3)  # a draft
        self.assertDrmCode(cm, "DRM_QUOTE_STATE")
        self.act(wo, "action_send_quote", self.staff_advisor, 3)
        result = self.act(wo, "action_confirm_quote", self.as_customer, 3)
        self.assertEqual((result["quote_id"], result["version"]), (wo.current_quote_id.id, 3))
        quote = wo.current_quote_id
        self.assertEqual((quote.state, quote.decided_by_partner_id, quote.decided_on_behalf), ("confirmed", self.customer, False))
        self.assertFalse(quote.decided_by_user_id)
        self.assertEqual(wo.confirmed_quote_id, quote)
        self.assertEqual((wo.amount_total, wo.amount_due), (60.0, 60.0))
        self.assertFalse(self.AuditLog.search([("work_order_id", "=", wo.id), ("action", "=", "quote_on_behalf")]))

    def test_advisor_decides_on_behalf_audited(self):
        wo = self.to_state("quoted")
        self.act(wo, "action_confirm_quote", self.staff_advisor, 1)
        quote = wo.current_quote_id
        self.assertEqual((quote.decided_on_behalf, quote.decided_by_user_id, quote.decided_by_partner_id),
                         (True, self.user_advisor, self.customer))
        audit = self.AuditLog.search([("work_order_id", "=", wo.id), ("action", "=", "quote_on_behalf")])
        self.assertEqual(len(audit), 1)
        self.assertEqual((audit.res_model, audit.res_id, audit.actor_user_id),
                         ("drmoto.work.order.quote", quote.id, self.user_advisor))

    def test_additional_work_during_repair(self):
        wo = self.to_state("in_progress", lines=[self.labor(100.0)])
        self.act(wo, "action_create_quote", self.staff_advisor, [self.labor(100.0), self.labor(50.0)])
        self.act(wo, "action_send_quote", self.staff_advisor, 2)
        self.assertEqual(wo.state, "in_progress")
        self.assertEqual(wo.amount_total, 100.0)  # v1 is still the confirmed one
        self.act(wo, "action_confirm_quote", self.as_customer, 2)
        self.assertEqual((wo.state, wo.confirmed_quote_id.version, wo.amount_total), ("in_progress", 2, 150.0))
        self.assertEqual(wo.quote_ids.sorted("version")[0].state, "confirmed")

    def test_sent_quote_is_immutable(self):
        wo = self.to_state("quoted", lines=[self.labor(100.0)])
        quote = wo.current_quote_id
        line = quote.line_ids
        for user in (self.env.user, self.user_manager):
            Quote = quote.with_user(user)
            with self.subTest(user=user.login):
                with self.assertRaises(UserError) as cm:
                    Quote.write({"note": "changed"})
                self.assertDrmCode(cm, "DRM_QUOTE_LOCKED")
                with self.assertRaises(UserError) as cm:
                    Quote.unlink()
                self.assertDrmCode(cm, "DRM_QUOTE_LOCKED")
                with self.assertRaises(UserError) as cm:
                    Quote.write({"line_ids": [Command.create({"description": "x", "qty": 1, "price_unit": 1})]})
                self.assertDrmCode(cm, "DRM_QUOTE_LOCKED")
                with self.assertRaises(UserError) as cm:
                    line.with_user(user).write({"price_unit": 1.0})
                self.assertDrmCode(cm, "DRM_QUOTE_LOCKED")
                with self.assertRaises(UserError) as cm:
                    line.with_user(user).unlink()
                self.assertDrmCode(cm, "DRM_QUOTE_LOCKED")
                with self.assertRaises(UserError) as cm:
                    self.env["drmoto.work.order.quote.line"].with_user(user).create(
                        {"quote_id": quote.id, "description": "x", "qty": 1, "price_unit": 1})
                self.assertDrmCode(cm, "DRM_QUOTE_LOCKED")
                with self.assertRaises(UserError) as cm:
                    Quote.write({"state": "confirmed"})
                self.assertDrmCode(cm, "DRM_QUOTE_STATE")
        self.assertEqual((quote.state, quote.amount_total, line.price_unit), ("sent", 100.0, 100.0))
        with self.assertRaises(UserError) as cm:
            self.env["drmoto.work.order.quote"].create({"work_order_id": wo.id, "version": 9})
        self.assertDrmCode(cm, "DRM_VALIDATION")

    def test_forged_quote_context_is_refused(self):
        """The quote flag sent in an RPC context (any plain value) unlocks nothing."""
        wo = self.to_state("quoted", lines=[self.labor(100.0)])
        quote = wo.current_quote_id
        for user in (self.user_advisor, self.user_manager, self.user_bff):
            for value in (True, 1, "1", {"x": 1}):
                Quote = quote.with_user(user).with_context(drmoto_quote_action=value, drmoto_wo_action=value)
                with self.subTest(user=user.login, value=value):
                    with self.assertRaises(UserError) as cm:
                        Quote.write({"state": "confirmed", "decided_at": "2026-01-01 00:00:00"})
                    self.assertDrmCode(cm, "DRM_QUOTE_STATE")
                    with self.assertRaises(UserError) as cm:
                        Quote.write({"note": "changed"})
                    self.assertDrmCode(cm, "DRM_QUOTE_LOCKED")
                    with self.assertRaises(UserError) as cm:
                        Quote.sudo().create({"work_order_id": wo.id, "version": 9})
                    self.assertDrmCode(cm, "DRM_VALIDATION")
        self.assertEqual((quote.state, quote.note, len(wo.quote_ids)), ("sent", False, 1))
        self.assertFalse(wo.part_ids)

    def test_draft_quote_is_editable_by_the_advisor(self):
        wo = self.to_state("diagnosing")
        self.act(wo, "action_create_quote", self.staff_advisor, [self.labor(100.0)])
        quote = wo.current_quote_id.with_user(self.user_advisor)
        quote.write({"note": "ok", "line_ids": [Command.create({"description": "Wash", "qty": 1, "price_unit": 20.0})]})
        self.assertEqual(quote.amount_total, 120.0)
        quote.line_ids.filtered(lambda l: l.description == "Wash").unlink()
        self.assertEqual(quote.amount_total, 100.0)
        with self.assertRaises(AccessError):
            wo.current_quote_id.with_user(self.user_technician).write({"note": "x"})
        # an empty draft (the web UI's "New quote version") can't be sent
        self.act(wo, "action_create_quote", self.staff_advisor, False)
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_send_quote", self.staff_advisor, 2)
        self.assertDrmCode(cm, "DRM_VALIDATION")
        quote_v2 = wo.current_quote_id
        quote_v2.with_user(self.user_advisor).unlink()
        self.assertEqual(wo.current_quote_id.version, 1)
        self.assertEqual(wo.current_quote_id.state, "superseded")

    def test_ui_new_quote_version_opens_the_form(self):
        wo = self.to_state("diagnosing")
        action = wo.with_user(self.user_advisor).with_context(drmoto_ui=True).action_create_quote()
        self.assertEqual((action["res_model"], action["res_id"]), ("drmoto.work.order.quote", wo.current_quote_id.id))
