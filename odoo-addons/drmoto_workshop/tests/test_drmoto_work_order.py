from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import WorkOrderCase
from odoo.addons.drmoto_workshop.models.drmoto_compat import USER_GROUPS, rpc_read_group

ALL_STATES = ["draft", "checkin", "diagnosing", "quoted", "in_progress", "ready", "delivered", "closed", "cancelled"]
RESULT_KEYS = {"id", "name", "state", "revision", "log_id", "replayed"}


@tagged("post_install", "-at_install")
class TestDrmotoWorkOrder(WorkOrderCase):
    drmoto_chart = True  # set_paid registers real invoices and payments

    # ------------------------------------------------------------------ open

    def test_open_as_advisor(self):
        result = self.as_bff("drmoto.work.order", self.staff_advisor).action_open(
            {"partner_id": self.customer.id, "vehicle_id": self.vehicle.id, "symptom": "noise", "odometer_in": 12800,
             "technician_id": self.user_technician.id, "promised_date": "2026-05-01 10:00:00"},
            "open-1",
        )
        self.assertEqual(set(result), {"id", "name", "state", "revision", "replayed"})
        self.assertEqual(result["state"], "draft")
        self.assertEqual(result["revision"], 1)
        self.assertFalse(result["replayed"])
        self.assertRegex(result["name"], r"^WO/\d{4}/\d{5}$")
        wo = self.WorkOrder.browse(result["id"])
        self.assertEqual(wo.advisor_id, self.user_advisor)
        self.assertEqual(wo.technician_id, self.user_technician)
        self.assertEqual(wo.company_id, self.vehicle.company_id)
        self.assertTrue(wo.warehouse_id)
        self.assertEqual(wo.warehouse_id.company_id, wo.company_id)
        self.assertEqual(wo.open_request_key, "open-1")
        self.assertEqual(len(wo.status_log_ids), 1)
        log = wo.status_log_ids
        self.assertEqual((log.event, log.action, log.from_state, log.to_state), ("open", "open", False, "draft"))
        self.assertEqual((log.actor_kind, log.actor_user_id, log.user_id), ("staff", self.user_advisor, self.user_bff))

    def test_open_straight_to_checkin_and_replay(self):
        bff = self.as_bff("drmoto.work.order", self.staff_advisor)
        vals = {"partner_id": self.customer.id, "vehicle_id": self.vehicle.id, "state": "checkin"}
        first = bff.action_open(vals, "open-2")
        self.assertEqual(first["state"], "checkin")
        again = bff.action_open(vals, "open-2")
        self.assertEqual(again, dict(first, replayed=True))
        self.assertEqual(self.WorkOrder.search_count([("open_request_key", "=", "open-2")]), 1)
        with self.assertRaises(UserError) as cm:
            bff.action_open(dict(vals, vehicle_id=self.vehicle2.id, partner_id=self.customer2.id), "open-2")
        self.assertDrmCode(cm, "DRM_DUP_KEY")

    def test_open_as_customer(self):
        result = self.as_bff("drmoto.work.order", self.as_customer).action_open(
            {"vehicle_id": self.vehicle.id, "symptom": "won't start", "state": "checkin"}, "open-3"
        )
        wo = self.WorkOrder.browse(result["id"])
        self.assertEqual(wo.state, "draft")  # a customer always opens a draft
        self.assertEqual(wo.partner_id, self.customer)
        self.assertFalse(wo.advisor_id)
        self.assertEqual(wo.status_log_ids.actor_partner_id, self.customer)
        with self.assertRaises(AccessError) as cm:
            self.as_bff("drmoto.work.order", self.as_customer2).action_open({"vehicle_id": self.vehicle.id}, "open-4")
        self.assertDrmCode(cm, "DRM_FORBIDDEN")

    def test_open_refused(self):
        for actor in (self.staff_technician, self.staff_cashier, self.staff_keeper, self.as_system):
            with self.subTest(actor=actor), self.assertRaises(AccessError) as cm:
                self.as_bff("drmoto.work.order", actor).action_open({"vehicle_id": self.vehicle.id}, self.key())
            self.assertDrmCode(cm, "DRM_FORBIDDEN")
        bff = self.as_bff("drmoto.work.order", self.staff_advisor)
        for vals in (
            {"vehicle_id": self.vehicle.id, "partner_id": self.customer2.id},  # not the owner
            {"vehicle_id": self.vehicle.id, "color": "red"},
            {"vehicle_id": "x"},
            {"vehicle_id": 999999},
            {"vehicle_id": self.vehicle.id, "state": "quoted"},
            {"vehicle_id": self.vehicle.id, "odometer_in": -1},
            {"vehicle_id": self.vehicle.id, "promised_date": "tomorrow"},
            {"vehicle_id": self.vehicle.id, "technician_id": self.user_cashier.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError) as cm:
                bff.action_open(vals, self.key())
            self.assertDrmCode(cm, "DRM_VALIDATION")

    def test_create_in_ui_logs_open_and_revision_counts_writes(self):
        with Form(self.WorkOrder.with_user(self.user_advisor)) as form:
            form.partner_id = self.customer
            form.vehicle_id = self.vehicle
            form.symptom = "rattle"
        wo = form.record
        self.assertEqual(wo.revision, 1)
        self.assertEqual(wo.status_log_ids.event, "open")
        self.assertTrue(wo.status_log_ids.request_key.startswith("ui-"))
        wo.with_user(self.user_advisor).write({"symptom": "rattle at 60 km/h"})
        self.assertEqual(wo.revision, 2)
        wo.with_user(self.user_advisor).write({"odometer_in": 100})
        self.assertEqual(wo.revision, 3)

    def test_protected_fields(self):
        wo = self.open_wo()
        for vals in ({"state": "closed"}, {"revision": 9}, {"amount_paid": 5.0}, {"closed_at": "2026-01-01 00:00:00"}):
            with self.subTest(vals=vals), self.assertRaises(UserError) as cm:
                wo.with_user(self.user_manager).write(vals)
            self.assertDrmCode(cm, "DRM_VALIDATION")
        with self.assertRaises(AccessError):
            wo.with_user(self.user_technician).write({"symptom": "x"})
        with self.assertRaises(AccessError) as cm:
            self.wo_as(wo, self.as_customer).write({"symptom": "x"})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        with self.assertRaises(ValidationError) as cm:
            wo.write({"partner_id": self.customer2.id})
        self.assertDrmCode(cm, "DRM_VALIDATION")
        with self.assertRaises(UserError) as cm:
            wo.unlink()
        self.assertDrmCode(cm, "DRM_WO_STATE")

    def test_forged_action_context_is_refused(self):
        """RPC callers control kwargs.context: the plain key must not unlock the guards."""
        wo = self.open_wo()
        forged_values = (True, 1, "1", "true", {"token": True}, ["drmoto_wo_action"])
        callers = (
            ("manager", self.WorkOrder.with_user(self.user_manager)),
            ("bff", self.as_bff("drmoto.work.order")),
            ("bff as advisor", self.as_bff("drmoto.work.order", self.staff_advisor)),
            ("superuser", self.WorkOrder.sudo()),
        )
        for label, WorkOrder in callers:
            for value in forged_values:
                forged = WorkOrder.with_context(drmoto_wo_action=value)
                for vals in ({"state": "closed"}, {"amount_paid": 500.0}, {"cancel_reason": "x"},
                             {"open_request_key": "stolen"}):
                    with self.subTest(caller=label, value=value, vals=vals), self.assertRaises(UserError) as cm:
                        forged.browse(wo.id).write(vals)
                    self.assertDrmCode(cm, "DRM_VALIDATION")
                with self.subTest(caller=label, value=value, create=True), self.assertRaises(UserError) as cm:
                    forged.create({"partner_id": self.customer.id, "vehicle_id": self.vehicle.id, "state": "closed"})
                self.assertDrmCode(cm, "DRM_VALIDATION")
        self.assertEqual((wo.state, wo.amount_paid, wo.revision), ("draft", 0.0, 1))
        # a customer actor can't write work orders directly, flag or not
        with self.assertRaises(AccessError) as cm:
            self.wo_as(wo, self.as_customer).with_context(drmoto_wo_action=True).write({"symptom": "x"})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        # the 'open' row of a work order created in the UI can't be skipped either
        created = self.WorkOrder.with_user(self.user_advisor).with_context(drmoto_skip_open_log=True).create(
            {"partner_id": self.customer.id, "vehicle_id": self.vehicle.id})
        self.assertEqual(created.status_log_ids.mapped("event"), ["open"])

    # ------------------------------------------------------------------ transitions

    def test_happy_path_revisions_and_log(self):
        wo = self.open_wo()
        steps = [
            ("action_checkin", self.staff_advisor, (), "checkin"),
            ("action_start_diagnosis", self.staff_technician, (), "diagnosing"),
            ("action_record_diagnosis", self.staff_technician, ("worn pads",), "diagnosing"),
            ("action_create_quote", self.staff_advisor, ([self.labor(0.0)],), "diagnosing"),
            ("action_send_quote", self.staff_advisor, (1,), "quoted"),
            ("action_confirm_quote", self.as_customer, (1,), "quoted"),
            ("action_start_repair", self.staff_technician, (), "in_progress"),
            ("action_mark_ready", self.staff_technician, (), "ready"),
            ("action_deliver", self.staff_advisor, (), "closed"),  # 0 total: settled, closes at once
        ]
        for method, actor, args, state in steps:
            before = wo.revision
            result = self.act(wo, method, actor, *args)
            with self.subTest(method=method):
                self.assertTrue(RESULT_KEYS <= set(result), result)
                self.assertEqual(result["state"], state)
                self.assertEqual(wo.state, state)
                self.assertFalse(result["replayed"])
                self.assertEqual(result["id"], wo.id)
                self.assertEqual(result["name"], wo.name)
                expected = before + (2 if method == "action_deliver" else 1)
                self.assertEqual(result["revision"], expected)
                self.assertEqual(wo.revision, expected)
        self.assertEqual(wo.diagnosis, "worn pads")
        self.assertTrue(wo.delivered_at and wo.closed_at)
        logs = wo.status_log_ids.sorted("id")
        self.assertEqual(
            logs.mapped("action"),
            ["open", "checkin", "start_diagnosis", "record_diagnosis", "create_quote", "send_quote", "confirm_quote",
             "start_repair", "mark_ready", "deliver", "close"],
        )
        self.assertEqual(
            logs.mapped("event"),
            ["open", "transition", "transition", "diagnosis", "quote_created", "quote_sent", "quote_confirmed",
             "transition", "transition", "transition", "transition"],
        )
        self.assertEqual(logs.mapped("revision"), list(range(1, 12)))
        self.assertEqual(logs[-1].request_key, logs[-2].request_key + "/close")

    def test_illegal_transitions_name_the_state(self):
        calls = {
            "action_checkin": ((), {"draft"}),
            "action_start_diagnosis": ((), {"checkin"}),
            "action_record_diagnosis": (("text",), {"diagnosing"}),
            "action_start_repair": ((), {"quoted"}),
            "action_mark_ready": ((), {"in_progress"}),
            "action_deliver": ((), {"ready"}),
            "action_cancel": (("reason",), {"draft", "checkin", "diagnosing", "quoted", "in_progress", "ready"}),
            "action_send_quote": ((1,), {"diagnosing", "quoted", "in_progress"}),
            "action_confirm_quote": ((1,), {"quoted", "in_progress"}),
        }
        orders = {state: self.to_state(state) for state in ("draft", "checkin", "diagnosing", "quoted", "in_progress", "ready")}
        closed = self.to_state("ready", lines=[self.labor(0.0)])
        self.act(closed, "action_deliver", self.staff_advisor)
        orders["closed"] = closed
        cancelled = self.open_wo()
        self.act(cancelled, "action_cancel", self.staff_advisor, "customer left")
        orders["cancelled"] = cancelled
        delivered = self.to_state("ready", lines=[self.labor(10.0)])
        self.act(delivered, "action_deliver", self.staff_manager, True)
        orders["delivered"] = delivered
        self.assertEqual(delivered.state, "delivered")
        for method, (args, legal) in calls.items():
            for state, wo in orders.items():
                if state in legal:
                    continue
                with self.subTest(method=method, state=state):
                    log_count = len(wo.status_log_ids)
                    revision = wo.revision
                    with self.assertRaises(UserError) as cm:
                        self.act(wo, method, self.staff_manager, *args)
                    self.assertDrmCode(cm, "DRM_WO_STATE")
                    self.assertIn("is in state '%s'" % state, str(cm.exception))
                    self.assertIn(wo.name, str(cm.exception))
                    self.assertEqual((len(wo.status_log_ids), wo.revision), (log_count, revision))

    def test_stale_revision(self):
        wo = self.open_wo()
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_checkin", self.staff_advisor, revision=7)
        self.assertDrmCode(cm, "DRM_STALE")
        self.assertEqual(str(cm.exception), "DRM_STALE: work order %s is at revision 1, not 7" % wo.name)
        # 0 is a revision, compared like any other: revisions start at 1, so it is stale (If-Match: "0")
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_checkin", self.staff_advisor, revision=0)
        self.assertDrmCode(cm, "DRM_STALE")
        self.assertEqual(wo.state, "draft")
        # no revision (False: the web UI's buttons) skips the check
        self.wo_as(wo, self.staff_advisor).action_checkin(False, self.key())
        self.assertEqual(wo.state, "checkin")
        # the revision is checked before the state
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_checkin", self.staff_advisor, revision=1)
        self.assertDrmCode(cm, "DRM_STALE")

    def test_request_key_replay(self):
        wo = self.open_wo()
        first = self.act(wo, "action_checkin", self.staff_advisor, key="k-checkin")
        self.act(wo, "action_start_diagnosis", self.staff_technician)
        logs = len(wo.status_log_ids)
        # same key again: the first result, even with a stale revision and another state
        again = self.act(wo, "action_checkin", self.staff_advisor, revision=1, key="k-checkin")
        self.assertEqual(again, dict(first, replayed=True))
        self.assertEqual(len(wo.status_log_ids), logs)
        self.assertEqual(wo.state, "diagnosing")
        self.assertEqual(self.StatusLog.search_count([("work_order_id", "=", wo.id), ("request_key", "=", "k-checkin")]), 1)
        # replay comes before the actor check
        again = self.act(wo, "action_checkin", self.staff_technician, key="k-checkin")
        self.assertTrue(again["replayed"])
        # same key, another action
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_record_diagnosis", self.staff_technician, "x", key="k-checkin")
        self.assertDrmCode(cm, "DRM_DUP_KEY")

    def test_key_validation(self):
        wo = self.open_wo()
        for key in ("x" * 256, 12, "  "):
            with self.subTest(key=key), self.assertRaises(UserError) as cm:
                self.wo_as(wo, self.staff_advisor).action_checkin(1, key)
            self.assertDrmCode(cm, "DRM_VALIDATION")
        with self.assertRaises(UserError) as cm:
            self.wo_as(wo, self.staff_advisor).action_checkin("1", "k")
        self.assertDrmCode(cm, "DRM_VALIDATION")

    def test_missing_work_order(self):
        with self.assertRaises(MissingError) as cm:
            self.as_bff("drmoto.work.order", self.staff_advisor).browse(999999).action_checkin(1, "k")
        self.assertDrmCode(cm, "DRM_NOT_FOUND")

    # ------------------------------------------------------------------ actors

    def test_actor_checks(self):
        wo = self.open_wo()
        for actor in (self.staff_technician, self.staff_cashier, self.staff_keeper, self.as_customer, self.as_system):
            with self.subTest(actor=actor), self.assertRaises(AccessError) as cm:
                self.act(wo, "action_checkin", actor)
            self.assertDrmCode(cm, "DRM_FORBIDDEN")
        # the actor check comes before the revision and the state
        with self.assertRaises(AccessError):
            self.act(wo, "action_mark_ready", self.staff_advisor, revision=99)
        self.act(wo, "action_checkin", self.staff_manager)  # a manager passes every staff check
        self.act(wo, "action_start_diagnosis", self.staff_technician)
        with self.assertRaises(AccessError):
            self.act(wo, "action_create_quote", self.staff_technician, [self.labor()])
        self.act(wo, "action_create_quote", self.staff_advisor, [self.labor()])
        self.act(wo, "action_send_quote", self.staff_advisor, 1)
        with self.assertRaises(AccessError):
            self.act(wo, "action_confirm_quote", self.as_customer2, 1)  # not their work order
        with self.assertRaises(AccessError):
            self.act(wo, "action_confirm_quote", self.staff_technician, 1)
        self.act(wo, "action_confirm_quote", self.as_customer, 1)
        self.act(wo, "action_start_repair", self.staff_advisor)
        with self.assertRaises(AccessError):
            self.act(wo, "action_mark_ready", self.staff_advisor)
        self.act(wo, "action_mark_ready", self.staff_technician)
        with self.assertRaises(AccessError):
            self.act(wo, "action_deliver", self.staff_cashier)

    def test_caller_acting_as_itself(self):
        wo = self.open_wo()
        # no drmoto_actor: the calling user is the actor, with its own groups
        with self.assertRaises(AccessError):
            wo.with_user(self.user_technician).action_checkin(False, self.key())
        with self.assertRaises(AccessError):
            wo.with_user(self.user_plain).action_checkin(False, self.key())
        wo.with_user(self.user_advisor).action_checkin(False, self.key())
        result = wo.with_user(self.user_technician).action_start_diagnosis(False, self.key())
        self.assertEqual(result["state"], "diagnosing")
        self.assertEqual(wo.status_log_ids.sorted("id")[-1].actor_user_id, self.user_technician)
        # a technician acting for someone else is ignored: only the integration user may
        ctx = dict(drmoto_actor=self.staff_manager)
        with self.assertRaises(AccessError):
            wo.with_user(self.user_technician).with_context(**ctx).action_cancel(False, self.key(), "no")
        # the web UI's buttons get True back
        self.assertIs(wo.with_user(self.user_technician).with_context(drmoto_ui=True).action_record_diagnosis(
            False, False, "worn"), True)

    def test_staff_of_another_shop_is_refused(self):
        outsider = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Advisor Two", "login": "t_advisor2", "company_id": self.company2.id,
            "company_ids": [(6, 0, self.company2.ids)],
            USER_GROUPS: [(6, 0, (self.env.ref("base.group_user") | self.env.ref("drmoto_workshop.group_drmoto_advisor")).ids)],
        })
        wo = self.open_wo()
        with self.assertRaises(AccessError) as cm:
            self.act(wo, "action_checkin", {"kind": "staff", "uid": outsider.id})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")

    # ------------------------------------------------------------------ deliver / close

    def test_deliver_with_money_owing(self):
        wo = self.to_state("ready", lines=[self.labor(100.0)])
        self.assertEqual(wo.amount_due, 100.0)
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_deliver", self.staff_advisor)
        self.assertDrmCode(cm, "DRM_MONEY_OWING")
        with self.assertRaises(AccessError) as cm:
            self.act(wo, "action_deliver", self.staff_advisor, True)
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        self.assertEqual(wo.state, "ready")
        self.assertFalse(self.AuditLog.search([("work_order_id", "=", wo.id), ("action", "=", "manager_override")]))
        result = self.act(wo, "action_deliver", self.staff_manager, True, "regular customer")
        self.assertEqual((result["state"], result["closed"]), ("delivered", False))
        self.assertTrue(result["reason"].startswith("DRM_MONEY_OWING:"), result["reason"])
        audit = self.AuditLog.search([("work_order_id", "=", wo.id), ("action", "=", "manager_override")])
        self.assertEqual(len(audit), 1)
        self.assertEqual((audit.actor_user_id, audit.note), (self.user_manager, "regular customer"))
        # close refuses without raising, changes nothing, logs nothing
        logs, revision = len(wo.status_log_ids), wo.revision
        result = self.act(wo, "action_close", self.as_system)
        self.assertEqual((result["closed"], result["state"], result["revision"]), (False, "delivered", revision))
        self.assertTrue(result["reason"].startswith("DRM_MONEY_OWING:"))
        self.assertFalse(result["log_id"])
        self.assertEqual((len(wo.status_log_ids), wo.revision), (logs, revision))
        # paid: closes exactly once
        self.set_paid(wo, 100.0)
        self.assertEqual(wo.amount_due, 0.0)
        result = self.act(wo, "action_close", self.staff_cashier, key="close-1")
        self.assertEqual((result["closed"], result["state"]), (True, "closed"))
        self.assertTrue(result["log_id"])
        again = self.act(wo, "action_close", self.as_system, key="close-1")
        self.assertEqual(again, dict(result, replayed=True))
        other = self.act(wo, "action_close", self.as_system)
        self.assertFalse(other["closed"])
        self.assertTrue(other["reason"].startswith("DRM_WO_STATE:"))
        self.assertEqual(self.StatusLog.search_count([("work_order_id", "=", wo.id), ("action", "=", "close")]), 1)

    def test_deliver_paid_closes(self):
        wo = self.to_state("ready", lines=[self.labor(50.0)])
        self.set_paid(wo, 50.0)
        result = self.act(wo, "action_deliver", self.staff_advisor, key="deliver-1")
        self.assertEqual((result["state"], result["closed"], result["reason"]), ("closed", True, False))
        self.assertEqual(result["revision"], wo.revision)
        self.assertEqual(self.act(wo, "action_deliver", self.staff_advisor, key="deliver-1"), dict(result, replayed=True))

    def test_close_actors_and_states(self):
        wo = self.to_state("in_progress", lines=[self.labor(0.0)])
        for actor in (self.staff_advisor, self.staff_technician, self.as_customer):
            with self.subTest(actor=actor), self.assertRaises(AccessError):
                self.act(wo, "action_close", actor)
        result = self.act(wo, "action_close", self.as_system)
        self.assertEqual(result["closed"], False)
        self.assertIn("is in state 'in_progress'", result["reason"])
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_close", self.as_system, revision=99)
        self.assertDrmCode(cm, "DRM_STALE")

    def test_overpaid_is_not_settled(self):
        wo = self.to_state("ready", lines=[self.labor(10.0)])
        self.set_paid(wo, 15.0)
        result = self.act(wo, "action_deliver", self.staff_advisor)
        self.assertEqual((result["state"], result["closed"]), ("delivered", False))
        self.assertTrue(result["reason"].startswith("DRM_MONEY_HELD:"))

    # ------------------------------------------------------------------ cancel

    def test_cancel(self):
        wo = self.to_state("diagnosing")
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_cancel", self.staff_advisor, "  ")
        self.assertDrmCode(cm, "DRM_VALIDATION")
        with self.assertRaises(AccessError):
            self.act(wo, "action_cancel", self.staff_technician, "no")
        result = self.act(wo, "action_cancel", self.staff_advisor, "customer went elsewhere")
        self.assertEqual(result["state"], "cancelled")
        self.assertEqual(wo.cancel_reason, "customer went elsewhere")
        audit = self.AuditLog.search([("work_order_id", "=", wo.id), ("action", "=", "cancel")])
        self.assertEqual(len(audit), 1)
        self.assertEqual((audit.actor_user_id, audit.note), (self.user_advisor, "customer went elsewhere"))
        self.assertIn('"diagnosing"', audit.before)
        log = wo.status_log_ids.sorted("id")[-1]
        self.assertEqual((log.event, log.from_state, log.to_state), ("cancel", "diagnosing", "cancelled"))

    def test_cancel_blocked_while_money_is_held(self):
        wo = self.to_state("in_progress", lines=[self.labor(10.0)])
        self.set_paid(wo, 10.0)
        self.assertEqual(wo._drmoto_cancel_blockers()[0][0], "DRM_MONEY_HELD")
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_cancel", self.staff_manager, "changed mind")
        self.assertDrmCode(cm, "DRM_MONEY_HELD")
        self.assertEqual(wo.state, "in_progress")

    # ------------------------------------------------------------------ reads

    def test_search_read_and_read_group_shapes(self):
        wo = self.to_state("quoted")
        bff = self.as_bff("drmoto.work.order")
        rows = bff.search_read(
            [("vehicle_id.plate_normalized", "ilike", "B12345"), ("state", "in", ["quoted"])],
            ["name", "state", "revision", "partner_id", "vehicle_id", "amount_total", "currency_id"],
            order="create_date desc",
        )
        self.assertIn(wo.id, [row["id"] for row in rows])
        row = next(row for row in rows if row["id"] == wo.id)
        # (id, display_name): a tuple in process, a 2-element array over RPC
        self.assertEqual(list(row["partner_id"]), [self.customer.id, "Zhang San"])
        self.assertEqual(list(row["vehicle_id"]), [self.vehicle.id, "粤B12345"])
        groups = rpc_read_group(bff, [("id", "=", wo.id)], ["amount_total:sum"], ["state"])
        self.assertEqual([(g["state"], g["state_count"]) for g in groups], [("quoted", 1)])
        # the kanban's action asks for every column
        groups = rpc_read_group(bff.with_context(drmoto_expand_states=True), [("id", "=", wo.id)], ["amount_total:sum"], ["state"])
        self.assertEqual([g["state"] for g in groups], ALL_STATES)
