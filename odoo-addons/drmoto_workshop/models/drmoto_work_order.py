"""Work orders: the document of a repair, driven only through ``action_*`` methods.

Every action runs the same checks in the same order (docs/odoo-contract.md, issue 3):
request-key replay -> actor -> revision -> state -> act. Acting bumps ``revision`` by
exactly one (``write()`` does it) and appends ONE status-log row that remembers the
request key and the result, so a repeated key returns the first result.
"""
import json
import uuid

from odoo import SUPERUSER_ID, Command, _, api, fields, models
from odoo.exceptions import MissingError, UserError, ValidationError
from odoo.tools import float_compare, float_is_zero

from .drmoto_actor import ROLE_GROUPS, InternalToken, forbidden, get_actor, has_token
from .drmoto_work_order_quote import QUOTE_CTX, QUOTE_STATES, QUOTE_TOKEN
from .drmoto_compat import check_access, sql_constraints

STATES = [
    ("draft", "Draft"),
    ("checkin", "Checked in"),
    ("diagnosing", "Diagnosing"),
    ("quoted", "Quoted"),
    ("in_progress", "In progress"),
    ("ready", "Ready"),
    ("delivered", "Delivered"),
    ("closed", "Closed"),
    ("cancelled", "Cancelled"),
]
STATE_VALUES = [value for value, _label in STATES]
CANCELLABLE_STATES = ("draft", "checkin", "diagnosing", "quoted", "in_progress", "ready")
QUOTING_STATES = ("diagnosing", "quoted", "in_progress")
DECIDING_STATES = ("quoted", "in_progress")

# action -> (who may call it, the verb of the DRM_WO_STATE / DRM_FORBIDDEN messages).
# Staff roles are group names; a manager passes every staff check. "customer" is the
# customer owning the work order, "system" the system actor.
ACTIONS = {
    "open": (("advisor", "customer"), "open a work order"),
    "checkin": (("advisor",), "check in"),
    "start_diagnosis": (("advisor", "technician"), "start the diagnosis"),
    "record_diagnosis": (("advisor", "technician"), "record a diagnosis"),
    "create_quote": (("advisor",), "create a quote"),
    "send_quote": (("advisor",), "send a quote"),
    "confirm_quote": (("advisor", "customer"), "confirm a quote"),
    "reject_quote": (("advisor", "customer"), "reject a quote"),
    "start_repair": (("technician", "advisor"), "start the repair"),
    "mark_ready": (("technician",), "mark it ready"),
    "deliver": (("advisor",), "deliver"),
    "close": (("cashier", "system"), "close"),
    "cancel": (("advisor",), "cancel"),
    # issue 4 (drmoto_work_order_parts.py)
    "request_parts": (("technician", "advisor"), "request parts"),
    "issue_parts": (("keeper",), "issue parts"),
    "return_parts": (("keeper",), "return parts"),
    # issue 5 (drmoto_work_order_invoicing.py)
    "sync_invoices": (("cashier", "system"), "sync the invoices"),
    "register_payment": (("cashier", "system"), "register a payment"),
    "register_refund": (("cashier", "system"), "register a refund"),
}

# Context flag set by the action methods: the fields below change only through them. The
# value must be ACTION_TOKEN itself (identity): a context sent over RPC can only hold plain
# data, so no remote caller can unlock the guards (drmoto_actor.InternalToken).
ACTION_CTX = "drmoto_wo_action"
ACTION_TOKEN = InternalToken(ACTION_CTX)
# created by action_open, which writes its own 'open' row
SKIP_OPEN_LOG_CTX = "drmoto_skip_open_log"
SKIP_OPEN_LOG_TOKEN = InternalToken(SKIP_OPEN_LOG_CTX)
ACTION_FIELDS = frozenset({
    "state", "open_request_key", "cancel_reason", "closed_at", "delivered_at", "amount_paid", "amount_refunded",
    "amount_invoiced", "amount_credited",
})
# writes that are not business changes and don't move the revision
NO_BUMP_FIELDS = frozenset({"message_main_attachment_id"})

OPEN_KEYS = frozenset({
    "partner_id", "vehicle_id", "symptom", "odometer_in", "promised_date", "technician_id", "state",
})
LINE_KEYS = frozenset({"kind", "product_id", "description", "qty", "price_unit", "discount", "tax_ids"})
MAX_KEY = 255


def _validation(message):
    return UserError("DRM_VALIDATION: " + message)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@sql_constraints
class DrmotoWorkOrder(models.Model):
    _name = "drmoto.work.order"
    _description = "Workshop work order"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, index=True, default="/",
    )
    company_id = fields.Many2one(
        "res.company", string="Shop", required=True, index=True, default=lambda self: self.env.company,
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse", string="Warehouse", required=True, check_company=True,
        default=lambda self: self._default_warehouse_id(),
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="restrict", tracking=True,
        domain=[("drmoto_is_customer", "=", True)],
    )
    vehicle_id = fields.Many2one(
        "drmoto.vehicle", string="Vehicle", required=True, index=True, ondelete="restrict", tracking=True,
        check_company=True, domain="[('partner_id', '=?', partner_id)]",
    )
    plate_normalized = fields.Char(related="vehicle_id.plate_normalized", string="Plate")
    symptom = fields.Text(help="What the customer reports.")
    diagnosis = fields.Text(help="What the workshop found.")
    advisor_id = fields.Many2one(
        "res.users", string="Service advisor", index=True, tracking=True, ondelete="restrict",
        default=lambda self: self.env.user,
    )
    technician_id = fields.Many2one(
        "res.users", string="Technician", index=True, tracking=True, ondelete="restrict",
    )
    odometer_in = fields.Integer(string="Odometer in (km)")
    odometer_out = fields.Integer(string="Odometer out (km)")
    promised_date = fields.Datetime(string="Promised for", tracking=True)
    state = fields.Selection(
        STATES, string="Status", required=True, readonly=True, copy=False, default="draft", index=True,
        tracking=True, group_expand="_group_expand_states",
        help="* Draft: opened by the advisor or requested by the customer, the vehicle is not in the shop yet.\n"
             "* Checked in: the vehicle is in the shop.\n"
             "* Diagnosing: a technician is looking for the cause.\n"
             "* Quoted: a quote version was sent to the customer.\n"
             "* In progress: a quote version is confirmed and the repair is under way.\n"
             "* Ready: the repair is done, the vehicle waits for the customer.\n"
             "* Delivered: the vehicle was handed back; the work order closes once settled.\n"
             "* Closed: delivered and settled; nothing changes any more.\n"
             "* Cancelled: abandoned before delivery, with a reason.",
    )
    revision = fields.Integer(
        default=1, readonly=True, copy=False,
        help="Incremented by every change of the work order: the ETag / If-Match of the BFF.",
    )
    open_request_key = fields.Char(readonly=True, copy=False, help="The request key of action_open.")
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    quote_ids = fields.One2many("drmoto.work.order.quote", "work_order_id", string="Quote versions")
    quote_count = fields.Integer(compute="_compute_current_quote_id")
    current_quote_id = fields.Many2one(
        "drmoto.work.order.quote", string="Latest quote", compute="_compute_current_quote_id",
    )
    current_quote_state = fields.Selection(
        QUOTE_STATES, string="Latest quote status", compute="_compute_current_quote_id",
    )
    confirmed_quote_id = fields.Many2one(
        "drmoto.work.order.quote", string="Confirmed quote", compute="_compute_confirmed_quote_id", store=True,
        help="The highest confirmed version: what the customer owes.",
    )
    amount_untaxed = fields.Monetary(compute="_compute_amounts", store=True, string="Untaxed amount")
    amount_tax = fields.Monetary(compute="_compute_amounts", store=True, string="Taxes")
    amount_total = fields.Monetary(compute="_compute_amounts", store=True, string="Total")
    amount_paid = fields.Monetary(
        string="Paid", readonly=True, copy=False, default=0.0,
        help="Net registered payments (payments less refunds).",
    )
    amount_due = fields.Monetary(compute="_compute_amount_due", store=True, string="Due")
    part_ids = fields.One2many("drmoto.work.order.part", "work_order_id", string="Parts")
    status_log_ids = fields.One2many("drmoto.wo.status.log", "work_order_id", string="Status log")
    cancel_reason = fields.Text(readonly=True, copy=False, tracking=True)
    closed_at = fields.Datetime(readonly=True, copy=False)
    delivered_at = fields.Datetime(readonly=True, copy=False)

    _sql_constraints = [
        (
            "open_request_key_company_uniq",
            "unique(company_id, open_request_key)",
            "DRM_DUP_KEY: this request key already opened a work order in this shop",
        ),
        ("odometer_in_positive", "CHECK(odometer_in >= 0)", "DRM_VALIDATION: the odometer can't be negative"),
        ("odometer_out_positive", "CHECK(odometer_out >= 0)", "DRM_VALIDATION: the odometer can't be negative"),
    ]

    # ------------------------------------------------------------------
    # defaults, computes, constraints
    # ------------------------------------------------------------------

    @api.model
    def _default_warehouse_id(self, company=None):
        company = company or self.env.company
        return self.env["stock.warehouse"].sudo().search([("company_id", "=", company.id)], limit=1).id

    @api.model
    def _group_expand_states(self, states, domain, order=None):  # 18 dropped ``order``
        # every column in the kanban (its action sets the flag); read_group over RPC keeps
        # Odoo's plain shape: only the states that have work orders
        if self.env.context.get("drmoto_expand_states"):
            return list(STATE_VALUES)
        return states

    @api.depends("quote_ids.version", "quote_ids.state")
    def _compute_current_quote_id(self):
        for wo in self:
            quotes = wo.quote_ids.sorted("version")
            wo.current_quote_id = quotes[-1:]
            wo.current_quote_state = quotes[-1:].state
            wo.quote_count = len(quotes)

    @api.depends("quote_ids.state", "quote_ids.version")
    def _compute_confirmed_quote_id(self):
        for wo in self:
            wo.confirmed_quote_id = wo.quote_ids.filtered(lambda q: q.state == "confirmed").sorted("version")[-1:]

    @api.depends(
        "confirmed_quote_id.amount_untaxed", "confirmed_quote_id.amount_tax", "confirmed_quote_id.amount_total",
    )
    def _compute_amounts(self):
        for wo in self:
            quote = wo.confirmed_quote_id
            wo.amount_untaxed = quote.amount_untaxed
            wo.amount_tax = quote.amount_tax
            wo.amount_total = quote.amount_total

    @api.depends("amount_total", "amount_paid", "currency_id")
    def _compute_amount_due(self):
        for wo in self:
            wo.amount_due = wo.currency_id.round(wo.amount_total - wo.amount_paid)

    @api.constrains("partner_id", "vehicle_id")
    def _check_vehicle_owner(self):
        for wo in self:
            if wo.vehicle_id.partner_id != wo.partner_id:
                raise ValidationError(
                    "DRM_VALIDATION: " + _("vehicle %s does not belong to %s", wo.vehicle_id.name, wo.partner_id.name)
                )

    # ------------------------------------------------------------------
    # ORM guards
    # ------------------------------------------------------------------

    def _drmoto_in_action(self):
        """Running inside one of the action methods (never true for a context sent over RPC)."""
        return has_token(self.env, ACTION_CTX, ACTION_TOKEN)

    def _drmoto_check_generic_actor(self, what):
        """Generic create/write through the integration user: only staff advisors; customers
        and the system go through the action methods."""
        if self.env.su or not self.env.context.get("drmoto_actor") or self._drmoto_in_action():
            return
        actor = get_actor(self.env)
        if actor["kind"] != "staff":
            raise forbidden(_("a %s may not %s work orders directly", actor["kind"], what))
        if not _staff_has_role(self.env, actor["uid"], ("advisor", "manager")):
            raise forbidden(_("staff user %s may not %s work orders", actor["uid"], what))

    @api.model_create_multi
    def create(self, vals_list):
        self._drmoto_check_generic_actor(_("create"))
        for vals in vals_list:
            if "revision" in vals:
                raise _validation(_("the revision is maintained by the work order"))
            protected = set(vals) & ACTION_FIELDS
            if protected and not self._drmoto_in_action():
                raise _validation(
                    _("%s change only through the work order's actions", ", ".join(sorted(protected)))
                )
            vehicle = self.env["drmoto.vehicle"].sudo().browse(vals.get("vehicle_id") or [])
            if not vals.get("company_id"):
                vals["company_id"] = vehicle.company_id.id or self.env.company.id
            company = self.env["res.company"].browse(vals["company_id"])
            if not vals.get("warehouse_id"):
                vals["warehouse_id"] = self._default_warehouse_id(company)
                if not vals["warehouse_id"]:
                    raise _validation(_("the shop %s has no warehouse", company.name))
            if not vals.get("name") or vals["name"] == "/":
                vals["name"] = self.env["ir.sequence"].sudo().with_company(company).next_by_code(
                    "drmoto.work.order"
                ) or "/"
        orders = super().create(vals_list)
        if not has_token(self.env, SKIP_OPEN_LOG_CTX, SKIP_OPEN_LOG_TOKEN):
            # created in the web UI: the timeline starts with an 'open' row too
            actor = get_actor(self.env)
            for wo in orders:
                wo._drmoto_log("open", "open", actor, wo._drmoto_new_key(), False, wo.state, False, {
                    "id": wo.id, "name": wo.name, "state": wo.state, "revision": wo.revision,
                })
        return orders

    def write(self, vals):
        if "revision" in vals:
            raise _validation(_("the revision is maintained by the work order"))
        protected = set(vals) & ACTION_FIELDS
        if protected and not self._drmoto_in_action():
            raise _validation(_("%s change only through the work order's actions", ", ".join(sorted(protected))))
        self._drmoto_check_generic_actor(_("change"))
        if (not vals and not self._drmoto_in_action()) or (vals and set(vals) <= NO_BUMP_FIELDS):
            return super().write(vals)
        # +1 per write, whoever writes (UI edits count too): each record gets its own value
        for wo in self:
            super(DrmotoWorkOrder, wo).write(dict(vals, revision=wo.revision + 1))
        return True

    @api.ondelete(at_uninstall=False)
    def _unlink_except_logged(self):
        for wo in self:
            if wo.state != "draft" or wo.sudo().status_log_ids or wo.sudo().quote_ids:
                raise UserError(
                    "DRM_WO_STATE: "
                    + _("work order %s has a history and can't be deleted; cancel it instead", wo.name)
                )

    # ------------------------------------------------------------------
    # the checks every action runs, in order
    # ------------------------------------------------------------------

    @api.model
    def _drmoto_new_key(self):
        return "ui-%s" % uuid.uuid4()

    @api.model
    def _drmoto_key(self, request_key):
        if not request_key:
            return self._drmoto_new_key()
        if not isinstance(request_key, str) or len(request_key) > MAX_KEY or not request_key.strip():
            raise _validation(_("a request key is a string of 1 to %s characters", MAX_KEY))
        return request_key

    def _drmoto_action_record(self):
        """An action's work order: exactly one record, existing, readable by the caller."""
        if len(self) != 1:
            raise _validation(_("an action runs on exactly one work order"))
        wo = self.exists()
        if not wo:
            raise MissingError("DRM_NOT_FOUND: " + _("work order %s does not exist", self.id))
        check_access(wo, "read")
        return wo

    def _drmoto_begin(self, action, request_key):
        """Step 1: one readable work order, locked, and the replay of a known request key.

        The row lock makes concurrent actions on one work order queue up: under REPEATABLE
        READ the loser fails with a serialization error, Odoo retries the call, and the retry
        sees the winner's revision (DRM_STALE) or its log row (a replay).
        Returns ``(work_order, key, replayed_result_or_None)``.
        """
        wo = self._drmoto_action_record()
        key = self._drmoto_key(request_key)
        # a serialization failure here is expected under contention and retried by Odoo:
        # not worth an ERROR line per loser
        self.env.cr.execute(
            "SELECT id FROM drmoto_work_order WHERE id = %s FOR NO KEY UPDATE", [wo.id], log_exceptions=False
        )
        log = self.env["drmoto.wo.status.log"].sudo().search(
            [("work_order_id", "=", wo.id), ("request_key", "=", key)], limit=1
        )
        if not log:
            return wo, key, None
        if log.action != action:
            raise UserError(
                "DRM_DUP_KEY: "
                + _("request key %s was used for '%s' on work order %s, not for '%s'", key, log.action, wo.name, action)
            )
        return wo, key, dict(json.loads(log.result or "{}"), log_id=log.id, replayed=True)

    def _drmoto_check_actor(self, action):
        """Step 2: the acting principal may run ``action`` on this work order."""
        who, verb = ACTIONS[action]
        actor = get_actor(self.env)
        if actor["kind"] == "customer":
            if "customer" not in who:
                raise forbidden(_("a customer may not %s", verb))
            if self and self.partner_id.id != actor["partner_id"]:
                raise forbidden(_("work order %s is not this customer's", self.name))
        elif actor["kind"] == "system":
            if "system" not in who:
                raise forbidden(_("the system may not %s", verb))
        else:
            roles = tuple(role for role in who if role in ROLE_GROUPS) + ("manager",)
            if not _staff_has_role(self.env, actor["uid"], roles, self.company_id):
                raise forbidden(_("staff user %s may not %s", actor["uid"], verb))
        return actor

    def _drmoto_check_revision(self, revision):
        """Step 3: optimistic concurrency; no revision (False/None: the web UI's buttons) skips it.

        0 is a revision like any other and is compared: revisions start at 1, so it is always stale (an
        ``If-Match: "0"`` must not pass as "no precondition").
        """
        if revision is False or revision is None:
            return
        if not _is_int(revision):
            raise _validation(_("revision must be an integer"))
        if revision != self.revision:
            raise UserError(
                "DRM_STALE: " + _("work order %s is at revision %s, not %s", self.name, self.revision, revision)
            )

    def _drmoto_state_error(self, action):
        return UserError(
            "DRM_WO_STATE: "
            + _("work order %s is in state '%s'; cannot %s", self.name, self.state, ACTIONS[action][1])
        )

    def _drmoto_check_state(self, action, states):
        """Step 4: the transition is legal from the current state."""
        if self.state not in states:
            raise self._drmoto_state_error(action)

    def _drmoto_prepare(self, action, revision, request_key, states):
        """Steps 1-4. Returns ``(work_order, key, actor, replayed_result_or_None)``."""
        wo, key, replay = self._drmoto_begin(action, request_key)
        if replay is not None:
            return wo, key, None, replay
        actor = wo._drmoto_check_actor(action)
        wo._drmoto_check_revision(revision)
        if states is not None:
            wo._drmoto_check_state(action, states)
        return wo, key, actor, None

    def _drmoto_env(self, key):
        """The environment the action acts in: sudo (the checks above are the guard),
        the action flag, and the request key for audit rows."""
        return self.sudo().with_context(**{ACTION_CTX: ACTION_TOKEN, "drmoto_request_key": key})

    def _drmoto_log(self, action, event, actor, key, from_state, to_state, note, result):
        self.ensure_one()
        trace = self.env.context.get("drmoto_trace_id")
        return self.env["drmoto.wo.status.log"].sudo().create({
            "work_order_id": self.id,
            "company_id": self.company_id.id,
            "event": event,
            "action": action,
            "from_state": from_state or False,
            "to_state": to_state or False,
            "user_id": self.env.uid,
            "actor_kind": actor["kind"],
            "actor_user_id": actor.get("uid", False),
            "actor_partner_id": actor.get("partner_id", False),
            "request_key": key,
            "trace_id": str(trace)[:255] if trace else False,
            "note": note or False,
            "revision": self.revision,
            "result": json.dumps(result, sort_keys=True),
        })

    def _drmoto_act(self, action, actor, key, vals=None, event="transition", note=False, extra=None, result=None):
        """Step 5: ONE write (revision + 1), ONE status-log row, the result dict."""
        self.ensure_one()
        from_state = self.state
        self._drmoto_env(key).write(dict(vals or {}))
        if result is None:
            result = dict(
                {"id": self.id, "name": self.name, "state": self.state, "revision": self.revision}, **(extra or {})
            )
        log = self._drmoto_log(action, event, actor, key, from_state, self.state, note, result)
        return dict(result, log_id=log.id, replayed=False)

    def _drmoto_ui(self, result):
        """Buttons of the web UI set ``drmoto_ui`` in their context: the web client expects
        an action (or nothing), not our result dict."""
        if not self.env.context.get("drmoto_ui"):
            return result
        if result.get("closed") is False and result.get("reason"):
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "message": result["reason"], "type": "warning", "sticky": False,
                    "next": {"type": "ir.actions.client", "tag": "soft_reload"},
                },
            }
        return True

    # ------------------------------------------------------------------
    # actions (docs/odoo-contract.md, "Work orders, quotes, status log, audit")
    # ------------------------------------------------------------------

    @api.model
    def action_open(self, vals, request_key=False):
        """Open a work order: ``draft``, or ``checkin`` when an advisor passes ``state: 'checkin'``.

        A repeated ``request_key`` returns the same work order with ``replayed: true``.
        Returns ``{"id", "name", "state", "revision", "replayed"}``.
        """
        if not isinstance(vals, dict):
            raise _validation(_("vals must be an object"))
        unknown = sorted(set(vals) - OPEN_KEYS)
        if unknown:
            raise _validation(_("unknown fields: %s", ", ".join(unknown)))
        key = self._drmoto_key(request_key)
        vehicle_id = vals.get("vehicle_id")
        if not _is_int(vehicle_id):
            raise _validation(_("vehicle_id must be a vehicle id"))
        partner_id = vals.get("partner_id")
        if partner_id is not None and partner_id is not False and not _is_int(partner_id):
            raise _validation(_("partner_id must be a partner id"))

        # 1. replay: the key is unique per shop
        existing = self.sudo().search(
            [("open_request_key", "=", key), ("company_id", "in", self.env.companies.ids)], limit=1
        )
        if existing:
            if existing.vehicle_id.id != vehicle_id or (partner_id and existing.partner_id.id != partner_id):
                raise UserError(
                    "DRM_DUP_KEY: " + _("request key %s already opened work order %s for another vehicle",
                                        key, existing.name)
                )
            log = existing.status_log_ids.sudo().filtered(lambda row: row.event == "open")[:1]
            result = json.loads(log.result) if log.result else {
                "id": existing.id, "name": existing.name, "state": existing.state, "revision": existing.revision,
            }
            result.pop("log_id", None)
            return dict(result, replayed=True)

        # 2. actor
        actor = self.browse()._drmoto_check_actor("open")
        vehicle = self.env["drmoto.vehicle"].search([("id", "=", vehicle_id)])  # the caller's record rules
        if not vehicle:
            raise _validation(_("vehicle %s does not exist", vehicle_id))
        state = vals.get("state") or "draft"
        if state not in ("draft", "checkin"):
            raise _validation(_("a work order opens as 'draft' or 'checkin', not %r", state))
        if actor["kind"] == "customer":
            if vehicle.partner_id.id != actor["partner_id"] or (partner_id and partner_id != actor["partner_id"]):
                raise forbidden(_("a customer may only open work orders for their own vehicles"))
            if vals.get("technician_id"):
                raise forbidden(_("a customer may not assign a technician"))
            state = "draft"
        elif not _staff_has_role(self.env, actor["uid"], ("advisor", "manager"), vehicle.company_id):
            raise forbidden(_("staff user %s may not open work orders in %s", actor["uid"], vehicle.company_id.name))

        technician_id = vals.get("technician_id") or False
        if technician_id and (
            not _is_int(technician_id)
            or not _staff_has_role(self.env, technician_id, ("technician", "manager"), vehicle.company_id)
        ):
            raise _validation(_("user %s is not a technician of this shop", technician_id))
        odometer_in = vals.get("odometer_in") or 0
        if not _is_int(odometer_in) or odometer_in < 0:
            raise _validation(_("odometer_in must be a non-negative integer"))
        promised_date = vals.get("promised_date") or False
        if promised_date:
            try:
                promised_date = fields.Datetime.to_datetime(promised_date)
            except (TypeError, ValueError):
                raise _validation(_("promised_date must be 'YYYY-MM-DD HH:MM:SS' (UTC)")) from None
        symptom = vals.get("symptom") or False
        if symptom and not isinstance(symptom, str):
            raise _validation(_("symptom must be a string"))

        create_vals = {
            "partner_id": partner_id or vehicle.partner_id.id,
            "vehicle_id": vehicle.id,
            "company_id": vehicle.company_id.id,
            "symptom": symptom,
            "odometer_in": odometer_in,
            "promised_date": promised_date,
            "technician_id": technician_id,
            "advisor_id": actor["uid"] if actor["kind"] == "staff" else False,
            "state": state,
            "open_request_key": key,
        }
        env = self.with_company(vehicle.company_id)._drmoto_env(key).with_context(
            mail_create_nosubscribe=True, **{SKIP_OPEN_LOG_CTX: SKIP_OPEN_LOG_TOKEN}
        )
        wo = env.create(create_vals).with_env(self.env)
        result = {"id": wo.id, "name": wo.name, "state": wo.state, "revision": wo.revision}
        wo._drmoto_log("open", "open", actor, key, False, wo.state, False, result)
        return dict(result, replayed=False)

    def action_checkin(self, revision=False, request_key=False, note=False):
        wo, key, actor, replay = self._drmoto_prepare("checkin", revision, request_key, ("draft",))
        if replay is not None:
            return self._drmoto_ui(replay)
        return self._drmoto_ui(wo._drmoto_act("checkin", actor, key, {"state": "checkin"}, note=note))

    def action_start_diagnosis(self, revision=False, request_key=False, note=False):
        wo, key, actor, replay = self._drmoto_prepare("start_diagnosis", revision, request_key, ("checkin",))
        if replay is not None:
            return self._drmoto_ui(replay)
        wo._drmoto_check_checkin_media()  # the shop's minimum of check-in photos (drmoto_work_order_media.py)
        return self._drmoto_ui(wo._drmoto_act("start_diagnosis", actor, key, {"state": "diagnosing"}, note=note))

    def action_record_diagnosis(self, revision=False, request_key=False, text=False):
        wo, key, actor, replay = self._drmoto_prepare("record_diagnosis", revision, request_key, ("diagnosing",))
        if replay is not None:
            return self._drmoto_ui(replay)
        if not isinstance(text, str) or not text.strip():
            raise _validation(_("the diagnosis text is required"))
        return self._drmoto_ui(
            wo._drmoto_act("record_diagnosis", actor, key, {"diagnosis": text}, event="diagnosis", note=text)
        )

    def action_create_quote(self, revision=False, request_key=False, lines=False, note=False):
        """Version n+1 as a draft; an open (draft or sent) version is superseded.

        ``lines`` falsy makes an empty draft (the web UI adds lines in the quote form).
        Extra result keys: ``quote_id``, ``version``.
        """
        wo, key, actor, replay = self._drmoto_prepare("create_quote", revision, request_key, QUOTING_STATES)
        if replay is not None:
            if self.env.context.get("drmoto_ui"):
                return self.env["drmoto.work.order.quote"].browse(replay["quote_id"])._drmoto_form_action()
            return replay
        line_vals = wo._drmoto_quote_line_vals(lines or [])
        if note and not isinstance(note, str):
            raise _validation(_("note must be a string"))
        env = wo._drmoto_env(key)
        quotes = env.env["drmoto.work.order.quote"].with_context(**{QUOTE_CTX: QUOTE_TOKEN})
        previous = wo.sudo().quote_ids
        version = max(previous.mapped("version") or [0]) + 1
        previous.filtered(lambda q: q.state in ("draft", "sent")).with_context(**{QUOTE_CTX: QUOTE_TOKEN}).sudo().write(
            {"state": "superseded"}
        )
        quote = quotes.create({
            "work_order_id": wo.id,
            "version": version,
            "note": note or False,
            "line_ids": [Command.create(vals) for vals in line_vals],
        })
        result = wo._drmoto_act(
            "create_quote", actor, key, event="quote_created", note=note,
            extra={"quote_id": quote.id, "version": quote.version},
        )
        if self.env.context.get("drmoto_ui"):
            return quote.with_env(self.env)._drmoto_form_action()
        return result

    def action_send_quote(self, revision=False, request_key=False, version=False):
        """Send the latest version (a draft); diagnosing -> quoted, quoted/in_progress stay."""
        wo, key, actor, replay = self._drmoto_prepare("send_quote", revision, request_key, QUOTING_STATES)
        if replay is not None:
            return self._drmoto_ui(replay)
        quote = wo._drmoto_latest_quote(version, "draft", _("send"))
        if not quote.line_ids:
            raise _validation(_("quote version %s has no lines", quote.version))
        quote.with_context(**{QUOTE_CTX: QUOTE_TOKEN}).sudo().write(
            {"state": "sent", "sent_at": fields.Datetime.now()}
        )
        vals = {"state": "quoted"} if wo.state == "diagnosing" else {}
        return self._drmoto_ui(wo._drmoto_act(
            "send_quote", actor, key, vals, event="quote_sent", extra={"quote_id": quote.id, "version": quote.version},
        ))

    def action_confirm_quote(self, revision=False, request_key=False, version=False):
        """The customer (or an advisor on their behalf, audited) confirms the latest, sent
        version; its part lines become the planned parts."""
        return self._drmoto_decide_quote("confirm_quote", "confirmed", revision, request_key, version, False)

    def action_reject_quote(self, revision=False, request_key=False, version=False, note=False):
        return self._drmoto_decide_quote("reject_quote", "rejected", revision, request_key, version, note)

    def _drmoto_decide_quote(self, action, new_state, revision, request_key, version, note):
        wo, key, actor, replay = self._drmoto_prepare(action, revision, request_key, DECIDING_STATES)
        if replay is not None:
            return self._drmoto_ui(replay)
        quote = wo._drmoto_latest_quote(version, "sent", ACTIONS[action][1].split()[0])
        on_behalf = actor["kind"] != "customer"
        quote.with_context(**{QUOTE_CTX: QUOTE_TOKEN}).sudo().write({
            "state": new_state,
            "decided_at": fields.Datetime.now(),
            "decided_by_user_id": actor["uid"] if on_behalf and actor["kind"] == "staff" else False,
            "decided_by_partner_id": actor["partner_id"] if not on_behalf else wo.partner_id.id,
            "decided_on_behalf": on_behalf,
        })
        env_wo = wo._drmoto_env(key)
        if on_behalf:
            env_wo.env["drmoto.audit.log"]._drmoto_record(
                "quote_on_behalf", quote, before={"state": "sent"}, after={"state": new_state},
                note=note, work_order=wo,
            )
        if new_state == "confirmed":
            env_wo._drmoto_plan_parts(quote)
        event = "quote_confirmed" if new_state == "confirmed" else "quote_rejected"
        return self._drmoto_ui(wo._drmoto_act(
            action, actor, key, event=event, note=note, extra={"quote_id": quote.id, "version": quote.version},
        ))

    def action_start_repair(self, revision=False, request_key=False, note=False):
        wo, key, actor, replay = self._drmoto_prepare("start_repair", revision, request_key, ("quoted",))
        if replay is not None:
            return self._drmoto_ui(replay)
        if not wo.confirmed_quote_id:
            raise UserError(
                "DRM_QUOTE_STATE: " + _("work order %s has no confirmed quote version; cannot start the repair",
                                        wo.name)
            )
        return self._drmoto_ui(wo._drmoto_act("start_repair", actor, key, {"state": "in_progress"}, note=note))

    def action_mark_ready(self, revision=False, request_key=False, note=False):
        wo, key, actor, replay = self._drmoto_prepare("mark_ready", revision, request_key, ("in_progress",))
        if replay is not None:
            return self._drmoto_ui(replay)
        return self._drmoto_ui(wo._drmoto_act("mark_ready", actor, key, {"state": "ready"}, note=note))

    def action_deliver(self, revision=False, request_key=False, override=False, note=False):
        """ready -> delivered, then closes when settled. With money owing only a manager may
        deliver, with ``override=True`` (audited). Extra result keys: ``closed``, ``reason``."""
        wo, key, actor, replay = self._drmoto_prepare("deliver", revision, request_key, ("ready",))
        if replay is not None:
            return self._drmoto_ui(replay)
        rounding = wo.currency_id.rounding
        owing = float_compare(wo.amount_due, 0.0, precision_rounding=rounding) > 0
        if owing:
            if not override:
                raise UserError(
                    "DRM_MONEY_OWING: " + _("work order %s has %s %s due; a manager may deliver it with override",
                                            wo.name, wo._drmoto_amount_str(wo.amount_due), wo.currency_id.name)
                )
            if actor["kind"] != "staff" or not _staff_has_role(self.env, actor["uid"], ("manager",), wo.company_id):
                raise forbidden(_("only a manager may deliver with money owing"))
            wo._drmoto_env(key).env["drmoto.audit.log"]._drmoto_record(
                "manager_override", wo, before={"state": "ready", "amount_due": wo.amount_due},
                after={"state": "delivered"}, note=note,
            )
        # the result recorded with the delivery already says how the close went: the close
        # follows in this transaction and its outcome is decided now
        reason = wo._drmoto_close_blocker(after_delivery=True)
        revision_after = wo.revision + (1 if reason else 2)
        result = {
            "id": wo.id, "name": wo.name, "state": "delivered" if reason else "closed",
            "revision": revision_after, "closed": not reason, "reason": reason or False,
        }
        done = wo._drmoto_act(
            "deliver", actor, key, {"state": "delivered", "delivered_at": fields.Datetime.now()},
            note=note, result=result,
        )
        if not reason:
            wo._drmoto_close(actor, "%s/close" % key[: MAX_KEY - 6])
        return self._drmoto_ui(done)

    def action_close(self, revision=False, request_key=False):
        """delivered -> closed when settled. When it can't close it returns
        ``{"closed": False, "reason": "DRM_<CODE>: ..."}``: no raise, no change, no log row."""
        wo, key, actor, replay = self._drmoto_prepare("close", revision, request_key, None)
        if replay is not None:
            return self._drmoto_ui(replay)
        reason = wo._drmoto_close_blocker()
        if reason:
            return self._drmoto_ui({
                "id": wo.id, "name": wo.name, "state": wo.state, "revision": wo.revision,
                "log_id": False, "replayed": False, "closed": False, "reason": reason,
            })
        return self._drmoto_ui(wo._drmoto_close(actor, key))

    def action_cancel(self, revision=False, request_key=False, reason=False):
        """Any state before delivery -> cancelled, with a reason (audited). Refused while
        parts are issued or money is held (``_drmoto_cancel_blockers``)."""
        wo, key, actor, replay = self._drmoto_prepare("cancel", revision, request_key, CANCELLABLE_STATES)
        if replay is not None:
            return self._drmoto_ui(replay)
        if not isinstance(reason, str) or not reason.strip():
            raise _validation(_("a cancel reason is required"))
        blockers = wo._drmoto_cancel_blockers()
        if blockers:
            code, message = blockers[0]
            raise UserError("%s: %s" % (code, message))
        from_state = wo.state
        wo._drmoto_env(key).env["drmoto.audit.log"]._drmoto_record(
            "cancel", wo, before={"state": from_state}, after={"state": "cancelled"}, note=reason,
        )
        return self._drmoto_ui(wo._drmoto_act(
            "cancel", actor, key, {"state": "cancelled", "cancel_reason": reason}, event="cancel", note=reason,
        ))

    # ------------------------------------------------------------------
    # helpers of the actions
    # ------------------------------------------------------------------

    def _drmoto_amount_str(self, amount):
        return "%.*f" % (self.currency_id.decimal_places, amount)

    def _drmoto_close_blocker(self, after_delivery=False):
        """Why the work order can't close now (a ``DRM_<CODE>: ...`` string), or False."""
        self.ensure_one()
        if not after_delivery and self.state != "delivered":
            return str(self._drmoto_state_error("close").args[0])
        rounding = self.currency_id.rounding
        if not float_is_zero(self.amount_due, precision_rounding=rounding):
            if self.amount_due > 0:
                return "DRM_MONEY_OWING: " + _(
                    "work order %s has %s %s due", self.name, self._drmoto_amount_str(self.amount_due),
                    self.currency_id.name,
                )
            return "DRM_MONEY_HELD: " + _(
                "work order %s was paid %s %s more than its total; refund it first", self.name,
                self._drmoto_amount_str(-self.amount_due), self.currency_id.name,
            )
        return False

    def _drmoto_close(self, actor, key):
        return self._drmoto_act(
            "close", actor, key, {"state": "closed", "closed_at": fields.Datetime.now()},
            extra={"closed": True, "reason": False},
        )

    def _drmoto_cancel_blockers(self):
        """``[(code, message)]`` of what forbids cancelling; modules add theirs
        (issue 4: issued parts -> DRM_HAS_PARTS)."""
        self.ensure_one()
        blockers = []
        if float_compare(self.amount_paid, 0.0, precision_rounding=self.currency_id.rounding) > 0:
            blockers.append((
                "DRM_MONEY_HELD",
                _("work order %s holds %s %s of payments; refund them first", self.name,
                  self._drmoto_amount_str(self.amount_paid), self.currency_id.name),
            ))
        return blockers

    def _drmoto_latest_quote(self, version, expected_state, verb):
        """The latest version, which must be ``version`` (when given) and in ``expected_state``."""
        quotes = self.sudo().quote_ids.sorted("version")
        latest = quotes[-1:]
        if version:
            if not _is_int(version):
                raise _validation(_("version must be an integer"))
            if not quotes.filtered(lambda q: q.version == version):
                raise MissingError(
                    "DRM_NOT_FOUND: " + _("work order %s has no quote version %s", self.name, version)
                )
            if version != latest.version:
                raise UserError(
                    "DRM_QUOTE_STATE: "
                    + _("quote version %s of %s is not the latest (%s); cannot %s it", version, self.name,
                        latest.version, verb)
                )
        if not latest:
            raise UserError("DRM_QUOTE_STATE: " + _("work order %s has no quote; cannot %s it", self.name, verb))
        if latest.state != expected_state:
            raise UserError(
                "DRM_QUOTE_STATE: "
                + _("quote version %s of %s is in state '%s'; cannot %s it", latest.version, self.name,
                    latest.state, verb)
            )
        return latest

    def _drmoto_quote_line_vals(self, lines):
        """Validate the BFF's quote lines and fill in the default taxes."""
        self.ensure_one()
        if not isinstance(lines, list):
            raise _validation(_("lines must be a list"))
        company = self.company_id
        result = []
        for index, line in enumerate(lines, start=1):
            if not isinstance(line, dict):
                raise _validation(_("line %s must be an object", index))
            unknown = sorted(set(line) - LINE_KEYS)
            if unknown:
                raise _validation(_("line %s: unknown fields %s", index, ", ".join(unknown)))
            kind = line.get("kind") or "labor"
            if kind not in ("labor", "part"):
                raise _validation(_("line %s: kind is 'labor' or 'part'", index))
            product = self.env["product.product"]
            if line.get("product_id"):
                if not _is_int(line["product_id"]):
                    raise _validation(_("line %s: product_id must be a product id", index))
                product = product.sudo().search([
                    ("id", "=", line["product_id"]), ("company_id", "in", [False, company.id]),
                ])
                if not product:
                    raise _validation(_("line %s: product %s does not exist in this shop", index, line["product_id"]))
            elif kind == "part":
                raise _validation(_("line %s: a part line needs a product", index))
            description = line.get("description")
            if not description and product:
                description = product.display_name
            if not isinstance(description, str) or not description.strip():
                raise _validation(_("line %s: a description is required", index))
            qty = line.get("qty")
            if not _is_number(qty) or qty <= 0:
                raise _validation(_("line %s: qty must be a number > 0", index))
            price_unit = line.get("price_unit")
            if price_unit is None and product:
                price_unit = product.list_price
            if not _is_number(price_unit) or price_unit < 0:
                raise _validation(_("line %s: price_unit must be a number >= 0", index))
            discount = line.get("discount") or 0.0
            if not _is_number(discount) or not 0 <= discount <= 100:
                raise _validation(_("line %s: discount must be between 0 and 100", index))
            if "tax_ids" in line and line["tax_ids"] is not None:
                tax_ids = line["tax_ids"]
                if not isinstance(tax_ids, list) or not all(_is_int(t) for t in tax_ids):
                    raise _validation(_("line %s: tax_ids must be a list of tax ids", index))
                taxes = self.env["account.tax"].sudo().search([
                    ("id", "in", tax_ids), ("type_tax_use", "=", "sale"), ("company_id", "=", company.id),
                ])
                if len(taxes) != len(set(tax_ids)):
                    raise _validation(_("line %s: tax_ids must be sale taxes of this shop", index))
            else:
                taxes = self._drmoto_default_taxes(kind, product)
            result.append({
                "kind": kind,
                "sequence": index * 10,
                "product_id": product.id or False,
                "description": description.strip(),
                "qty": float(qty),
                "price_unit": float(price_unit),
                "discount": float(discount),
                "tax_ids": [Command.set(taxes.ids)],
            })
        return result

    def _drmoto_default_taxes(self, kind, product):
        """Parts: the product's sale taxes of this shop; labor and products without taxes:
        the shop's default sale tax."""
        company = self.company_id or self.env.company
        if kind == "part" and product:
            taxes = product.sudo().taxes_id.filtered(lambda tax: tax.company_id == company)
            if taxes:
                return taxes
        return company.sudo().account_sale_tax_id

    # ------------------------------------------------------------------
    # web UI helpers
    # ------------------------------------------------------------------

    def action_drmoto_text_wizard(self):
        """Open the wizard that asks for a text (diagnosis, cancel reason, override note)."""
        self.ensure_one()
        mode = self.env.context.get("drmoto_wizard_mode", "diagnosis")
        return {
            "type": "ir.actions.act_window",
            "name": dict(self.env["drmoto.work.order.text.wizard"]._fields["mode"].selection).get(mode),
            "res_model": "drmoto.work.order.text.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_work_order_id": self.id, "default_mode": mode},
        }

    def action_drmoto_view_quotes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("drmoto_workshop.drmoto_work_order_quote_action")
        action["domain"] = [("work_order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action


def _staff_has_role(env, uid, roles, company=None):
    """The staff user ``uid`` is active, in one of ``roles`` (group names) and, when
    ``company`` is given, allowed in it."""
    user = env["res.users"].sudo().browse(uid).exists()
    # OdooBot (the superuser, archived by design) runs server-side jobs: its groups decide
    if not user or (not user.active and user.id != SUPERUSER_ID) or user.share:
        return False
    if company and company not in user.company_ids:
        return False
    return any(user.has_group(ROLE_GROUPS[role]) for role in roles)
