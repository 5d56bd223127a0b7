import hashlib
import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..models.drmoto_work_order_parts import lines_hash
from .common import PartsCase
from odoo.addons.drmoto_workshop.models.drmoto_compat import MOVE_DESCRIPTION, product_type_vals

PICKING_RESULT_KEYS = {"id", "picking_id", "picking_name", "state", "replayed", "lines"}


@tagged("post_install", "-at_install")
class TestDrmotoWorkOrderPart(PartsCase):
    drmoto_chart = True  # set_paid registers real invoices and payments

    # ------------------------------------------------------------------ planned parts (issue 3)

    def test_planned_parts_follow_the_confirmed_version(self):
        lines = [self.labor(), self.part(self.pads, qty=1), self.part(self.pads, qty=1), self.part(self.oil, qty=3)]
        wo = self.to_state("quoted", lines=lines)
        self.assertFalse(wo.part_ids)  # only a confirmed version plans parts
        self.act(wo, "action_confirm_quote", self.as_customer, 1)
        v1 = wo.current_quote_id
        planned = {p.product_id: (p.qty_planned, p.uom_id, p.quote_id, p.source) for p in wo.part_ids}
        self.assertEqual(planned, {
            self.pads: (2.0, self.pads.uom_id, v1, "quote"),
            self.oil: (3.0, self.oil.uom_id, v1, "quote"),
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

    def test_replanning_keeps_what_was_issued(self):
        wo = self.to_state("in_progress", lines=[self.part(self.pads, qty=2), self.part(self.oil, qty=1)])
        self.issue(wo, [self.line(self.pads, 2)])
        self.act(wo, "action_create_quote", self.staff_advisor, [self.part(self.oil, qty=2)])
        self.act(wo, "action_send_quote", self.staff_advisor, 2)
        self.act(wo, "action_confirm_quote", self.as_customer, 2)
        rows = {p.product_id: (p.qty_planned, p.qty_issued, p.quote_id.version) for p in wo.part_ids}
        self.assertEqual(rows, {self.pads: (0.0, 2.0, False), self.oil: (2.0, 0.0, 2)})

    def test_parts_are_read_only(self):
        wo = self.to_state("in_progress", lines=[self.part(self.pads)])
        part = wo.part_ids
        self.assertEqual(part.with_user(self.user_keeper).read(["qty_planned"])[0]["qty_planned"], 1.0)
        for user in (self.user_advisor, self.user_manager, self.user_keeper, self.user_bff):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    part.with_user(user).write({"qty_issued": 5})
                with self.assertRaises(AccessError):
                    part.with_user(user).unlink()
                with self.assertRaises(AccessError):
                    self.env["drmoto.work.order.part"].with_user(user).create(
                        {"work_order_id": wo.id, "product_id": self.oil.id, "uom_id": self.oil.uom_id.id})

    # ------------------------------------------------------------------ request

    def test_request_parts(self):
        wo = self.to_state("in_progress", lines=[self.part(self.pads, qty=2)])
        revision = wo.revision
        key = self.key()
        result = self.request(wo, [self.line(self.oil, 1), self.line(self.pads, 1), self.line(self.oil, 0.5)], key=key)
        self.assertEqual(result, {
            "id": wo.id, "revision": revision + 1, "replayed": False,
            "parts": sorted([{"product_id": self.pads.id, "qty_requested": 1.0},
                             {"product_id": self.oil.id, "qty_requested": 1.5}], key=lambda p: p["product_id"]),
        })
        self.assertEqual(wo.revision, revision + 1)
        pads, oil = self.part_of(wo, self.pads), self.part_of(wo, self.oil)
        self.assertEqual((pads.qty_planned, pads.qty_requested, pads.source), (2.0, 1.0, "quote"))
        self.assertEqual((oil.qty_planned, oil.qty_requested, oil.source), (0.0, 1.5, "request"))
        log = wo.status_log_ids[0]
        self.assertEqual((log.event, log.action, log.request_key, log.revision), ("parts_requested", "request_parts", key,
                                                                                 revision + 1))
        # the same key: the first answer again, nothing changes
        before = self.counts(wo)
        again = self.request(wo, [self.line(self.oil, 1)], key=key)
        self.assertEqual(again, dict(result, replayed=True))
        self.assertEqual((self.counts(wo), wo.revision, oil.qty_requested), (before, revision + 1, 1.5))
        # cumulative; the advisor may request too; a manager passes
        self.request(wo, [self.line(self.oil, 1)], actor=self.staff_advisor)
        self.request(wo, [self.line(self.oil, 1)], actor=self.staff_manager)
        self.assertEqual(oil.qty_requested, 3.5)

    def test_request_states_and_roles(self):
        wo = self.open_wo()
        with self.assertRaises(UserError) as cm:
            self.request(wo, [self.line(self.oil, 1)])
        self.assertDrmCode(cm, "DRM_WO_STATE")
        self.assertIn("'draft'; cannot request parts", str(cm.exception))
        for state in ("checkin", "diagnosing", "quoted", "ready"):
            with self.subTest(state=state):
                self.request(self.to_state(state), [self.line(self.oil, 1)])
        wo = self.to_state("checkin")
        for actor in (self.staff_keeper, self.staff_cashier, self.as_customer, self.as_system):
            with self.subTest(actor=actor), self.assertRaises(AccessError) as cm:
                self.request(wo, [self.line(self.oil, 1)], actor=actor)
            self.assertDrmCode(cm, "DRM_FORBIDDEN")

    # ------------------------------------------------------------------ issue

    def test_issue_posts_one_done_picking(self):
        wo = self.to_state("in_progress", lines=[self.part(self.pads, qty=3)])
        revision, key = wo.revision, self.key()
        result = self.issue(wo, [self.line(self.pads, 2), self.line(self.oil, 1), self.line(self.pads, 1)], key=key)
        self.assertEqual(set(result), PICKING_RESULT_KEYS)
        picking = self.Picking.browse(result["picking_id"])
        self.assertEqual(result, {
            "id": wo.id, "picking_id": picking.id, "picking_name": picking.name, "state": "done", "replayed": False,
            "lines": sorted([{"product_id": self.pads.id, "qty": 3.0}, {"product_id": self.oil.id, "qty": 1.0}],
                            key=lambda line: line["product_id"]),
        })
        self.assertEqual((picking.state, picking.drmoto_kind, picking.drmoto_request_key, picking.drmoto_work_order_id),
                         ("done", "issue", key, wo))
        self.assertEqual(picking.picking_type_id, self.warehouse.out_type_id)
        self.assertEqual((picking.location_id, picking.location_dest_id), (self.stock_loc, self.customer_loc))
        self.assertTrue(picking.date_done)
        self.assertEqual(len(picking.move_ids), 2)
        self.assertEqual(set(picking.move_ids.mapped("state")), {"done"})
        self.assertEqual(picking.move_ids.drmoto_work_order_id, wo)
        self.assertFalse(self.Picking.search([("backorder_id", "=", picking.id)]))
        # the hash: canonical JSON of the lines sorted by product id, quantities with the unit's precision
        canonical = json.dumps(
            sorted([{"product_id": self.pads.id, "qty": "3.00"}, {"product_id": self.oil.id, "qty": "1.00"}],
                   key=lambda line: line["product_id"]),
            sort_keys=True, separators=(",", ":"),
        )
        self.assertEqual(picking.drmoto_lines_hash, hashlib.sha256(canonical.encode()).hexdigest())
        # inventory truth: quants and the parts' computed quantities
        self.assertEqual((self.on_hand(self.pads), self.on_hand(self.oil)), (7.0, 4.0))
        pads, oil = self.part_of(wo, self.pads), self.part_of(wo, self.oil)
        self.assertEqual((pads.qty_issued, pads.qty_returned, pads.qty_net, pads.source), (3.0, 0.0, 3.0, "quote"))
        self.assertEqual((oil.qty_issued, oil.qty_net, oil.qty_planned, oil.source), (1.0, 1.0, 0.0, "request"))
        # the work order doesn't move; one status-log row, one audit row
        self.assertEqual((wo.revision, wo.state, wo.picking_count), (revision, "in_progress", 1))
        log = wo.status_log_ids[0]
        self.assertEqual((log.event, log.action, log.request_key, log.revision, log.from_state, log.to_state),
                         ("parts_issued", "issue_parts", key, revision, "in_progress", "in_progress"))
        self.assertIn(picking.name, log.note)
        self.assertEqual(log.actor_user_id, self.user_keeper)
        audit = self.AuditLog.search([("work_order_id", "=", wo.id), ("action", "=", "stock_issue")])
        self.assertEqual(len(audit), 1)
        self.assertEqual((audit.res_model, audit.res_id, audit.request_key), ("stock.picking", picking.id, key))
        self.assertEqual(json.loads(audit.after), {"picking": picking.name, "lines": result["lines"]})

    def test_issue_replay_and_duplicate_key(self):
        wo = self.to_state("in_progress")
        key = self.key()
        first = self.issue(wo, [self.line(self.pads, 2), self.line(self.oil, 1)], key=key)
        before = self.counts(wo)
        # same lines, other spelling (order, duplicates, int vs float): the first picking again
        again = self.issue(wo, [self.line(self.oil, 1.0), self.line(self.pads, 1), self.line(self.pads, 1)], key=key)
        self.assertEqual(again, dict(first, replayed=True))
        self.assertEqual(self.counts(wo), before)
        # another actor may not change the replay's outcome either, but only the lines decide
        self.assertEqual(self.issue(wo, [self.line(self.pads, 2), self.line(self.oil, 1)], key=key,
                                    actor=self.staff_manager)["picking_id"], first["picking_id"])
        # other lines, the other kind, a key another action used
        for call, lines in ((self.issue, [self.line(self.pads, 3), self.line(self.oil, 1)]),
                            (self.issue, [self.line(self.pads, 2)]),
                            (self.give_back, [self.line(self.pads, 2), self.line(self.oil, 1)])):
            with self.subTest(call=call.__name__, lines=lines), self.assertRaises(UserError) as cm:
                call(wo, lines, key=key)
            self.assertDrmCode(cm, "DRM_DUP_KEY")
        checkin_key = wo.status_log_ids.filtered(lambda row: row.action == "checkin").request_key
        with self.assertRaises(UserError) as cm:
            self.issue(wo, [self.line(self.pads, 1)], key=checkin_key)
        self.assertDrmCode(cm, "DRM_DUP_KEY")
        self.assertIn("was used for 'checkin'", str(cm.exception))
        self.assertEqual(self.counts(wo), before)

    def test_issue_without_enough_stock_leaves_nothing(self):
        wo = self.to_state("in_progress")
        self.set_stock(self.pads, 1)
        before = self.counts(wo)
        with self.assertRaises(UserError) as cm:
            self.issue(wo, [self.line(self.oil, 1), self.line(self.pads, 2)])
        self.assertEqual(
            str(cm.exception), "DRM_NO_STOCK: not enough Front brake pads: available 1, requested 2",
        )
        self.assertEqual(self.counts(wo), before)
        self.assertFalse(wo.part_ids)
        # stock reserved by another delivery is not free
        self.set_stock(self.pads, 10)
        other = self.Picking.create({
            "picking_type_id": self.warehouse.out_type_id.id, "location_id": self.stock_loc.id,
            "location_dest_id": self.customer_loc.id,
            "move_ids": [(0, 0, {MOVE_DESCRIPTION: "x", "product_id": self.pads.id, "product_uom_qty": 9.5,
                                 "product_uom": self.pads.uom_id.id, "location_id": self.stock_loc.id,
                                 "location_dest_id": self.customer_loc.id})],
        })
        other.action_confirm()
        other.action_assign()
        self.assertEqual(self.free(self.pads), 0.5)
        with self.assertRaises(UserError) as cm:
            self.issue(wo, [self.line(self.pads, 2)])
        self.assertEqual(str(cm.exception), "DRM_NO_STOCK: not enough Front brake pads: available 0.5, requested 2")
        self.assertEqual(self.on_hand(self.pads), 10.0)
        self.assertEqual(self.issue(wo, [self.line(self.pads, 0.5)])["state"], "done")

    def test_issue_exactly_the_last_units(self):
        wo = self.to_state("in_progress")
        self.set_stock(self.pads, 2)
        self.issue(wo, [self.line(self.pads, 2)])
        self.assertEqual((self.on_hand(self.pads), self.free(self.pads)), (0.0, 0.0))
        with self.assertRaises(UserError) as cm:
            self.issue(wo, [self.line(self.pads, 1)])
        self.assertDrmCode(cm, "DRM_NO_STOCK")

    def test_issue_states(self):
        for state in ("checkin", "diagnosing", "quoted", "ready"):
            with self.subTest(state=state):
                result = self.issue(self.to_state(state), [self.line(self.oil, 1)])
                self.assertEqual(result["state"], "done")
        draft = self.open_wo()
        with self.assertRaises(UserError) as cm:
            self.issue(draft, [self.line(self.oil, 1)])
        self.assertDrmCode(cm, "DRM_WO_STATE")
        self.assertIn("is in state 'draft'; cannot issue parts", str(cm.exception))
        cancelled = self.to_state("checkin")
        self.act(cancelled, "action_cancel", self.staff_advisor, "no show")
        for call in (self.issue, self.give_back):
            with self.subTest(call=call.__name__), self.assertRaises(UserError) as cm:
                call(cancelled, [self.line(self.oil, 1)])
            self.assertDrmCode(cm, "DRM_WO_STATE")

    def test_closed_work_order_returns_but_does_not_issue(self):
        wo = self.to_state("in_progress", lines=[self.part(self.oil, qty=2)])
        self.issue(wo, [self.line(self.oil, 2)])
        self.act(wo, "action_mark_ready", self.staff_technician)
        self.set_paid(wo, wo.amount_total)
        self.assertTrue(self.act(wo, "action_deliver", self.staff_advisor)["closed"])
        with self.assertRaises(UserError) as cm:
            self.issue(wo, [self.line(self.oil, 1)])
        self.assertDrmCode(cm, "DRM_WO_STATE")
        self.assertEqual(self.give_back(wo, [self.line(self.oil, 1)])["state"], "done")
        self.assertEqual(self.part_of(wo, self.oil).qty_net, 1.0)

    def test_issue_roles(self):
        wo = self.to_state("in_progress")
        for actor in (self.staff_technician, self.staff_advisor, self.staff_cashier, self.as_customer, self.as_system):
            for call in (self.issue, self.give_back):
                with self.subTest(actor=actor, call=call.__name__), self.assertRaises(AccessError) as cm:
                    call(wo, [self.line(self.oil, 1)], actor=actor)
                self.assertDrmCode(cm, "DRM_FORBIDDEN")
        self.assertFalse(wo.picking_ids)
        self.issue(wo, [self.line(self.oil, 1)], actor=self.staff_manager)
        # the keeper acting as itself (the web UI)
        result = wo.with_user(self.user_keeper).action_issue_parts(self.key(), [self.line(self.oil, 1)])
        self.assertEqual(result["state"], "done")
        self.assertEqual(self.Picking.browse(result["picking_id"]).user_id, self.user_keeper)
        # a technician acting as itself, and a user outside the workshop
        with self.assertRaises(AccessError):
            wo.with_user(self.user_technician).action_issue_parts(self.key(), [self.line(self.oil, 1)])
        with self.assertRaises(AccessError):
            wo.with_user(self.user_plain).action_issue_parts(self.key(), [self.line(self.oil, 1)])
        self.assertEqual(self.part_of(wo, self.oil).qty_issued, 2.0)

    def test_lines_validation(self):
        wo = self.to_state("in_progress")
        service = self.env["product.product"].create({"name": "Wash", **product_type_vals("service")})
        consumable = self.env["product.product"].create({"name": "Rag", **product_type_vals("consu")})
        other_shop = self.env["product.product"].create({
            "name": "Shop 2 part", **product_type_vals("product"), "company_id": self.company2.id,
        })
        bad = [
            [], False, "x", [1], [{"product_id": self.oil.id}], [{"product_id": self.oil.id, "qty": 0}],
            [{"product_id": self.oil.id, "qty": -1}], [{"product_id": self.oil.id, "qty": "1"}],
            [{"product_id": self.oil.id, "qty": True}], [{"product_id": "x", "qty": 1}],
            [{"product_id": 999999, "qty": 1}], [{"product_id": other_shop.id, "qty": 1}],
            [{"product_id": self.oil.id, "qty": 1, "price": 3}], [{"product_id": self.oil.id, "qty": 0.001}],
            [{"product_id": service.id, "qty": 1}], [{"product_id": consumable.id, "qty": 1}],
        ]
        before = self.counts(wo)
        for call in (self.issue, self.give_back, self.request):
            for lines in bad:
                with self.subTest(call=call.__name__, lines=lines), self.assertRaises(UserError) as cm:
                    call(wo, lines)
                self.assertDrmCode(cm, "DRM_VALIDATION")
        with self.assertRaises(UserError) as cm:
            self.issue(wo, [{"product_id": service.id, "qty": 1}])
        self.assertEqual(str(cm.exception), "DRM_VALIDATION: line 1: Wash is not a storable product")
        self.assertEqual(self.counts(wo), before)

    # ------------------------------------------------------------------ return

    def test_return(self):
        wo = self.to_state("in_progress", lines=[self.part(self.pads, qty=3)])
        self.issue(wo, [self.line(self.pads, 3)])
        key = self.key()
        result = self.give_back(wo, [self.line(self.pads, 1)], key=key)
        picking = self.Picking.browse(result["picking_id"])
        self.assertEqual(result, {"id": wo.id, "picking_id": picking.id, "picking_name": picking.name, "state": "done",
                                  "replayed": False, "lines": [{"product_id": self.pads.id, "qty": 1.0}]})
        self.assertEqual((picking.drmoto_kind, picking.location_id, picking.location_dest_id),
                         ("return", self.customer_loc, self.stock_loc))
        self.assertEqual(picking.picking_type_id,
                         self.warehouse.out_type_id.return_picking_type_id or self.warehouse.in_type_id)
        self.assertEqual(self.on_hand(self.pads), 8.0)
        pads = self.part_of(wo, self.pads)
        self.assertEqual((pads.qty_issued, pads.qty_returned, pads.qty_net), (3.0, 1.0, 2.0))
        self.assertEqual(wo.status_log_ids[0].event, "parts_returned")
        audit = self.AuditLog.search([("work_order_id", "=", wo.id), ("action", "=", "stock_return")])
        self.assertEqual((len(audit), audit.request_key), (1, key))
        # replay
        before = self.counts(wo)
        self.assertEqual(self.give_back(wo, [self.line(self.pads, 1)], key=key), dict(result, replayed=True))
        self.assertEqual(self.counts(wo), before)

    def test_over_return(self):
        wo = self.to_state("in_progress")
        self.issue(wo, [self.line(self.pads, 2)])
        self.give_back(wo, [self.line(self.pads, 0.5)])
        before = self.counts(wo)
        with self.assertRaises(UserError) as cm:
            self.give_back(wo, [self.line(self.pads, 2)])
        self.assertEqual(str(cm.exception),
                         "DRM_OVER_RETURN: cannot return 2 Front brake pads: 1.5 issued and not returned")
        with self.assertRaises(UserError) as cm:
            self.give_back(wo, [self.line(self.pads, 1), self.line(self.oil, 1)])
        self.assertEqual(str(cm.exception), "DRM_OVER_RETURN: cannot return 1 Engine oil 1L: 0 issued and not returned")
        self.assertEqual(self.counts(wo), before)
        self.give_back(wo, [self.line(self.pads, 1.5)])
        self.assertEqual(self.part_of(wo, self.pads).qty_net, 0.0)

    # ------------------------------------------------------------------ cancel

    def test_cancel_is_refused_while_parts_are_issued(self):
        wo = self.to_state("in_progress")
        self.issue(wo, [self.line(self.pads, 2)])
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_cancel", self.staff_advisor, "customer left")
        self.assertEqual(str(cm.exception), "DRM_HAS_PARTS: return the issued parts first")
        self.give_back(wo, [self.line(self.pads, 1)])
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_cancel", self.staff_advisor, "customer left")
        self.assertDrmCode(cm, "DRM_HAS_PARTS")
        self.give_back(wo, [self.line(self.pads, 1)])
        self.assertEqual(self.act(wo, "action_cancel", self.staff_advisor, "customer left")["state"], "cancelled")
        self.assertEqual(self.on_hand(self.pads), 10.0)

    # ------------------------------------------------------------------ what the BFF reads

    def test_bff_reads_parts_pickings_and_free_qty(self):
        wo = self.to_state("in_progress", lines=[self.part(self.pads, qty=1)])
        key = self.key()
        self.issue(wo, [self.line(self.pads, 1)], key=key)
        bff = self.env(user=self.user_bff)
        rows = bff["drmoto.work.order.part"].search_read(
            [("work_order_id", "=", wo.id)],
            ["product_id", "qty_planned", "qty_requested", "qty_issued", "qty_returned", "qty_net", "uom_id"],
        )
        self.assertEqual([(r["product_id"][0], r["qty_issued"], r["qty_net"]) for r in rows], [(self.pads.id, 1.0, 1.0)])
        pickings = bff["stock.picking"].search_read(
            [("drmoto_work_order_id", "=", wo.id)], ["name", "state", "drmoto_kind", "date_done", "drmoto_request_key"],
        )
        self.assertEqual([(p["state"], p["drmoto_kind"], p["drmoto_request_key"]) for p in pickings],
                         [("done", "issue", key)])
        self.assertEqual(bff["stock.picking"].search_count([("drmoto_work_order_id", "=", wo.id),
                                                            ("drmoto_request_key", "=", key)]), 1)
        products = bff["product.product"].search_read([("id", "=", self.pads.id)], ["free_qty", "qty_available"])
        self.assertEqual(products[0]["free_qty"], 9.0)
        self.assertTrue(bff["stock.move"].search_read([("drmoto_work_order_id", "=", wo.id)], ["product_id", "quantity"]))
        self.assertEqual(bff["drmoto.work.order"].browse(wo.id).picking_count, 1)
        # read-only: nothing is posted except through the keyed methods
        picking = wo.picking_ids
        for user in (self.user_bff, self.user_keeper, self.user_manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    picking.with_user(user).write({"note": "x"})
                with self.assertRaises(AccessError):
                    self.env["stock.picking"].with_user(user).create({
                        "picking_type_id": self.warehouse.out_type_id.id, "location_id": self.stock_loc.id,
                        "location_dest_id": self.customer_loc.id,
                    })
                with self.assertRaises(AccessError):
                    picking.move_ids.with_user(user).write({"quantity": 5})
                with self.assertRaises(UserError):  # AccessError or "quant creation is restricted"
                    self.env["stock.quant"].with_user(user).create({
                        "product_id": self.pads.id, "location_id": self.stock_loc.id, "inventory_quantity": 99,
                    })
        # every workshop user sees the work order's transfers (smart button), nobody outside
        self.assertEqual(wo.with_user(self.user_technician).picking_count, 1)
        self.assertEqual(picking.with_user(self.user_technician).read(["name"])[0]["name"], picking.name)
        with self.assertRaises(AccessError):
            picking.with_user(self.user_plain).read(["name"])

    def test_lines_hash_is_canonical(self):
        lines = [{"product_id": 7, "qty": 2.5, "rounding": 0.01}, {"product_id": 3, "qty": 4.0, "rounding": 0.01},
                 {"product_id": 5, "qty": 1.0, "rounding": 1.0}]
        expected = hashlib.sha256(
            b'[{"product_id":3,"qty":"4.00"},{"product_id":5,"qty":"1"},{"product_id":7,"qty":"2.50"}]'
        ).hexdigest()
        self.assertEqual(lines_hash(lines), expected)

    def test_ui_buttons_open_the_wizard(self):
        wo = self.to_state("in_progress", lines=[self.part(self.pads, qty=2)])
        part = wo.part_ids
        action = part.with_user(self.user_keeper).action_drmoto_issue_wizard()
        self.assertEqual((action["res_model"], action["context"]["default_qty"], action["context"]["default_mode"]),
                         ("drmoto.work.order.parts.wizard", 2.0, "issue"))
        self.assertEqual(part.qty_to_issue, 2.0)
        self.issue(wo, [self.line(self.pads, 2)])
        self.assertEqual((part.qty_to_issue, part.qty_net), (0.0, 2.0))
        action = part.with_user(self.user_keeper).action_drmoto_return_wizard()
        self.assertEqual((action["context"]["default_qty"], action["context"]["default_mode"]), (2.0, "return"))
        view = wo.with_user(self.user_keeper).action_drmoto_view_pickings()
        self.assertEqual(view["domain"], [("drmoto_work_order_id", "=", wo.id)])
        found = self.env["drmoto.work.order.part"].with_user(self.user_keeper).search(
            ["|", ("qty_to_issue", ">", 0), ("qty_net", ">", 0)])
        self.assertIn(part, found)
