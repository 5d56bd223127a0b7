from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import WorkOrderCase


@tagged("post_install", "-at_install")
class TestDrmotoWorkOrderPart(WorkOrderCase):
    def test_planned_parts_follow_the_confirmed_version(self):
        lines = [self.labor(), self.part(self.pads, qty=1), self.part(self.pads, qty=1), self.part(self.oil, qty=3)]
        wo = self.to_state("quoted", lines=lines)
        self.assertFalse(wo.part_ids)  # only a confirmed version plans parts
        self.act(wo, "action_confirm_quote", self.as_customer, 1)
        v1 = wo.current_quote_id
        planned = {p.product_id: (p.qty_planned, p.uom_id, p.quote_id) for p in wo.part_ids}
        self.assertEqual(planned, {
            self.pads: (2.0, self.pads.uom_id, v1),
            self.oil: (3.0, self.oil.uom_id, v1),
        })
        # a later version plans nothing until it is confirmed, then replaces the plan
        self.act(wo, "action_start_repair", self.staff_technician)
        self.act(wo, "action_create_quote", self.staff_advisor, [self.part(self.oil, qty=4)])
        self.act(wo, "action_send_quote", self.staff_advisor, 2)
        self.assertEqual(len(wo.part_ids), 2)
        self.act(wo, "action_confirm_quote", self.as_customer, 2)
        self.assertEqual([(p.product_id, p.qty_planned, p.quote_id.version) for p in wo.part_ids], [(self.oil, 4.0, 2)])
        # a rejected version changes nothing
        self.act(wo, "action_create_quote", self.staff_advisor, [self.part(self.pads, qty=9)])
        self.act(wo, "action_send_quote", self.staff_advisor, 3)
        self.act(wo, "action_reject_quote", self.as_customer, 3)
        self.assertEqual([(p.product_id, p.qty_planned) for p in wo.part_ids], [(self.oil, 4.0)])

    def test_parts_are_read_only(self):
        wo = self.to_state("in_progress", lines=[self.part(self.pads)])
        part = wo.part_ids
        self.assertEqual(part.with_user(self.user_keeper).read(["qty_planned"])[0]["qty_planned"], 1.0)
        for user in (self.user_advisor, self.user_manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    part.with_user(user).write({"qty_planned": 5})
                with self.assertRaises(AccessError):
                    part.with_user(user).unlink()
