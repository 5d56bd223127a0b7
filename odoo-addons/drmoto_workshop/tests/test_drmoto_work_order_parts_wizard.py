from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import PartsCase


@tagged("post_install", "-at_install")
class TestDrmotoWorkOrderPartsWizard(PartsCase):
    def test_keeper_issues_and_returns_from_the_parts_list(self):
        wo = self.to_state("in_progress", lines=[self.part(self.pads, qty=2)])
        part = wo.part_ids
        Wizard = self.env["drmoto.work.order.parts.wizard"].with_user(self.user_keeper)
        action = part.with_user(self.user_keeper).action_drmoto_issue_wizard()
        with Form(Wizard.with_context(**action["context"])) as form:
            self.assertEqual((form.product_id, form.qty), (self.pads, 2.0))
            form.qty = 1.5
        outcome = form.record.action_apply()
        self.assertEqual(outcome["tag"], "display_notification")
        picking = wo.picking_ids
        self.assertEqual((picking.state, picking.drmoto_kind, part.qty_issued), ("done", "issue", 1.5))
        self.assertTrue(picking.drmoto_request_key.startswith("ui-"))
        self.assertEqual(wo.status_log_ids[0].actor_user_id, self.user_keeper)
        # return from the work order's header button
        action = wo.with_user(self.user_keeper).with_context(drmoto_parts_mode="return").action_drmoto_parts_wizard()
        with Form(Wizard.with_context(**action["context"])) as form:
            form.product_id = self.pads
            self.assertEqual(form.qty_net, 1.5)
            form.qty = 1.5
        form.record.action_apply()
        self.assertEqual((part.qty_returned, part.qty_net, len(wo.picking_ids)), (1.5, 0.0, 2))

    def test_only_keepers_use_the_wizard(self):
        wo = self.to_state("in_progress")
        with self.assertRaises(AccessError):
            self.env["drmoto.work.order.parts.wizard"].with_user(self.user_technician).create({
                "work_order_id": wo.id, "mode": "issue", "product_id": self.pads.id, "qty": 1,
            })
