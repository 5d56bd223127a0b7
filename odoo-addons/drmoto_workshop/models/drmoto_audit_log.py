import json

from odoo import _, api, fields, models

from .drmoto_actor import forbidden, get_actor
from .drmoto_wo_status_log import ACTOR_KINDS

AUDIT_ACTIONS = [
    ("price_override", "Price override"),
    ("discount", "Discount"),
    ("cancel", "Cancel"),
    ("manager_override", "Manager override"),
    ("quote_on_behalf", "Quote decided on the customer's behalf"),
    ("stock_issue", "Parts issued"),
    ("stock_return", "Parts returned"),
    ("payment", "Payment registered"),
    ("refund", "Refund registered"),
]


class DrmotoAuditLog(models.Model):
    """Privileged actions. Append-only: ``write`` and ``unlink`` raise for everyone,
    superuser included; rows are created by the addon's methods through ``_drmoto_record``."""

    _name = "drmoto.audit.log"
    _description = "Workshop audit log"
    _order = "id desc"
    _rec_name = "action"

    action = fields.Selection(AUDIT_ACTIONS, required=True, readonly=True)
    res_model = fields.Char(string="Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(string="Record", model_field="res_model", readonly=True)
    work_order_id = fields.Many2one(
        "drmoto.work.order", string="Work order", index=True, readonly=True, ondelete="restrict"
    )
    company_id = fields.Many2one("res.company", string="Shop", index=True, readonly=True, ondelete="restrict")
    user_id = fields.Many2one("res.users", string="Odoo user", readonly=True, ondelete="restrict")
    actor_kind = fields.Selection(ACTOR_KINDS, required=True, readonly=True)
    actor_user_id = fields.Many2one("res.users", string="Acting staff", readonly=True, ondelete="restrict")
    actor_partner_id = fields.Many2one("res.partner", string="Acting customer", readonly=True, ondelete="restrict")
    before = fields.Text(readonly=True, help="JSON")
    after = fields.Text(readonly=True, help="JSON")
    note = fields.Text(readonly=True)
    trace_id = fields.Char(readonly=True)
    request_key = fields.Char(readonly=True)

    @api.model
    def _drmoto_record(self, action, record, before=None, after=None, note=False, work_order=None):
        """Append one row for ``action`` on ``record`` (sudo: nobody holds a create ACL)."""
        actor = get_actor(self.env)
        if work_order is None and record._name == "drmoto.work.order":
            work_order = record
        work_order = work_order or self.env["drmoto.work.order"]
        return self.sudo().create({
            "action": action,
            "res_model": record._name,
            "res_id": record.id,
            "work_order_id": work_order.id,
            "company_id": work_order.company_id.id or self.env.company.id,
            "user_id": self.env.uid,
            "actor_kind": actor["kind"],
            "actor_user_id": actor.get("uid", False),
            "actor_partner_id": actor.get("partner_id", False),
            "before": json.dumps(before, sort_keys=True, default=str) if before is not None else False,
            "after": json.dumps(after, sort_keys=True, default=str) if after is not None else False,
            "note": note or False,
            "trace_id": _context_str(self.env, "drmoto_trace_id"),
            "request_key": _context_str(self.env, "drmoto_request_key"),
        })

    def write(self, vals):
        raise forbidden(_("audit log rows can't be changed"))

    def unlink(self):
        raise forbidden(_("audit log rows can't be deleted"))


def _context_str(env, key, size=255):
    value = env.context.get(key)
    return str(value)[:size] if value else False
