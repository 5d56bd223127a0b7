from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.drmoto_compat import MOVE_DESCRIPTION
from ..models.drmoto_work_order import ACTION_CTX, ACTION_TOKEN
from .common import PartsCase


@tagged("post_install", "-at_install")
class TestStockPicking(PartsCase):
    def _issued(self):
        wo = self.to_state("in_progress")
        result = self.issue(wo, [self.line(self.pads, 2)])
        return wo, self.Picking.browse(result["picking_id"])

    def test_key_is_unique_per_work_order(self):
        wo, picking = self._issued()
        vals = {
            "picking_type_id": self.warehouse.out_type_id.id, "location_id": self.stock_loc.id,
            "location_dest_id": self.customer_loc.id, "drmoto_work_order_id": wo.id,
            "drmoto_request_key": picking.drmoto_request_key, "drmoto_kind": "issue",
        }
        self.assertUniqueViolation(
            lambda: self.Picking.with_context(**{ACTION_CTX: ACTION_TOKEN}).create(vals), "DRM_DUP_KEY",
        )
        # the same key on another work order is another key
        other = self.to_state("checkin")
        self.Picking.create(dict(vals, drmoto_work_order_id=other.id))

    def test_work_order_transfers_change_only_through_the_actions(self):
        wo, picking = self._issued()
        move = picking.move_ids
        for forged in ({}, {"drmoto_wo_action": True}, {"drmoto_wo_action": "1"}):
            env_picking = picking.with_context(**forged)
            with self.subTest(forged=forged):
                for vals in ({"location_dest_id": self.stock_loc.id}, {"drmoto_request_key": "other"},
                             {"drmoto_work_order_id": False}, {"state": "cancel"}):
                    with self.assertRaises(UserError) as cm:
                        env_picking.write(vals)
                    self.assertDrmCode(cm, "DRM_VALIDATION")
                with self.assertRaises(UserError):
                    env_picking.unlink()
                with self.assertRaises(UserError) as cm:
                    move.with_context(**forged).write({"quantity": 5})
                self.assertDrmCode(cm, "DRM_VALIDATION")
                with self.assertRaises(UserError) as cm:
                    move.move_line_ids.with_context(**forged).write({"quantity": 5})
                self.assertDrmCode(cm, "DRM_VALIDATION")
        picking.write({"note": "checked"})  # harmless fields stay editable by stock users
        self.assertEqual((self.part_of(wo, self.pads).qty_issued, self.on_hand(self.pads)), (2.0, 8.0))
        # a copy (e.g. Odoo's own return wizard) is not a work order's picking
        copy = picking.copy()
        self.assertFalse(copy.drmoto_work_order_id or copy.drmoto_request_key or copy.drmoto_kind
                         or copy.drmoto_lines_hash)

    def test_no_delivery_confirmation_to_the_customer(self):
        self.company.stock_move_email_validation = True
        wo = self.to_state("in_progress")
        picking = self.Picking.browse(self.issue(wo, [self.line(self.pads, 1)])["picking_id"])
        self.assertEqual(picking.state, "done")
        self.assertFalse(picking.message_ids.filtered(lambda m: m.message_type in ("comment", "email")
                                                      and self.customer in m.partner_ids))

    def test_other_transfers_are_untouched(self):
        picking = self.Picking.create({
            "picking_type_id": self.warehouse.out_type_id.id, "location_id": self.stock_loc.id,
            "location_dest_id": self.customer_loc.id,
            "move_ids": [(0, 0, {MOVE_DESCRIPTION: "x", "product_id": self.oil.id, "product_uom_qty": 1,
                                 "product_uom": self.oil.uom_id.id, "location_id": self.stock_loc.id,
                                 "location_dest_id": self.customer_loc.id})],
        })
        picking.action_confirm()
        picking.action_assign()
        picking.move_ids.write({"quantity": 1, "picked": True})
        picking.button_validate()
        self.assertEqual((picking.state, self.on_hand(self.oil)), ("done", 4.0))
        self.assertFalse(picking.move_ids.drmoto_work_order_id)
