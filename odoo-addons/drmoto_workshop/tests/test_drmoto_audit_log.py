from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import WorkOrderCase


@tagged("post_install", "-at_install")
class TestDrmotoAuditLog(WorkOrderCase):
    def test_audit_rows_are_append_only(self):
        wo = self.open_wo()
        self.act(wo, "action_cancel", self.staff_advisor, "duplicate")
        row = self.AuditLog.search([("work_order_id", "=", wo.id)])
        self.assertEqual(row.action, "cancel")
        for user in (self.env.user, self.user_manager, self.user_bff):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError) as cm:
                    row.with_user(user).write({"note": "edited"})
                self.assertDrmCode(cm, "DRM_FORBIDDEN")
                with self.assertRaises(AccessError) as cm:
                    row.with_user(user).unlink()
                self.assertDrmCode(cm, "DRM_FORBIDDEN")
        with self.assertRaises(AccessError):
            self.AuditLog.with_user(self.user_manager).create({"action": "cancel", "res_model": "x", "actor_kind": "staff"})
        self.assertEqual(row.with_user(self.user_cashier).read(["action"])[0]["action"], "cancel")

    def test_context_is_recorded(self):
        wo = self.open_wo()
        bff = self.as_bff("drmoto.work.order", self.staff_manager).with_context(drmoto_trace_id="t-9")
        bff.browse(wo.id).action_cancel(1, "cancel-key", "test")
        row = self.AuditLog.search([("work_order_id", "=", wo.id)])
        self.assertEqual(
            (row.res_model, row.res_id, row.user_id, row.actor_kind, row.actor_user_id, row.trace_id, row.request_key),
            ("drmoto.work.order", wo.id, self.user_bff, "staff", self.user_manager, "t-9", "cancel-key"),
        )
        self.assertEqual(row.company_id, wo.company_id)
