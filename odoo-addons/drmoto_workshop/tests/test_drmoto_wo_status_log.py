import json

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import WorkOrderCase


@tagged("post_install", "-at_install")
class TestDrmotoWoStatusLog(WorkOrderCase):
    def test_row_content(self):
        wo = self.open_wo()
        result = self.as_bff("drmoto.work.order", self.staff_advisor).with_context(
            drmoto_trace_id="trace-123").browse(wo.id).action_checkin(1, "k-1", "keys on the hook")
        log = self.StatusLog.browse(result["log_id"])
        self.assertEqual(
            (log.work_order_id, log.event, log.action, log.from_state, log.to_state, log.actor_kind,
             log.actor_user_id, log.user_id, log.request_key, log.trace_id, log.note, log.revision),
            (wo, "transition", "checkin", "draft", "checkin", "staff", self.user_advisor, self.user_bff, "k-1",
             "trace-123", "keys on the hook", 2),
        )
        stored = json.loads(log.result)
        self.assertEqual(stored, {"id": wo.id, "name": wo.name, "state": "checkin", "revision": 2})
        self.assertEqual(log.company_id, wo.company_id)

    def test_customer_actor_recorded(self):
        wo = self.to_state("quoted")
        result = self.act(wo, "action_confirm_quote", self.as_customer, 1)
        log = self.StatusLog.browse(result["log_id"])
        self.assertEqual((log.actor_kind, log.actor_partner_id, log.actor_user_id.id), ("customer", self.customer, False))

    def test_log_is_append_only(self):
        wo = self.open_wo()
        log = wo.status_log_ids
        for user in (self.env.user, self.user_manager, self.user_bff):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError) as cm:
                    log.with_user(user).write({"note": "edited"})
                if user == self.env.user:
                    self.assertDrmCode(cm, "DRM_FORBIDDEN")
                with self.assertRaises(AccessError):
                    log.with_user(user).unlink()
        with self.assertRaises(AccessError):
            self.StatusLog.with_user(self.user_manager).create({
                "work_order_id": wo.id, "event": "transition", "action": "x", "actor_kind": "staff", "request_key": "x",
            })
        self.assertEqual(log.with_user(self.user_technician).read(["event"])[0]["event"], "open")
        with self.assertRaises(AccessError):
            log.with_user(self.user_plain).read(["event"])

    def test_request_key_unique_per_work_order(self):
        wo = self.open_wo()
        self.act(wo, "action_checkin", self.staff_advisor, key="same-key")
        other = self.open_wo()
        # the same key on another work order is another request
        self.act(other, "action_checkin", self.staff_advisor, key="same-key")
        self.assertUniqueViolation(
            lambda: self.StatusLog.create({
                "work_order_id": wo.id, "event": "transition", "action": "checkin", "actor_kind": "staff",
                "request_key": "same-key",
            }),
            "DRM_DUP_KEY",
        )
