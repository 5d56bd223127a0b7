from odoo import _, api, fields, models

from .drmoto_actor import forbidden
from .drmoto_compat import sql_constraints

EVENTS = [
    ("open", "Opened"),
    ("transition", "Transition"),
    ("diagnosis", "Diagnosis"),
    ("quote_created", "Quote created"),
    ("quote_sent", "Quote sent"),
    ("quote_confirmed", "Quote confirmed"),
    ("quote_rejected", "Quote rejected"),
    ("cancel", "Cancelled"),
    ("parts_requested", "Parts requested"),
    ("parts_issued", "Parts issued"),
    ("parts_returned", "Parts returned"),
    ("invoices_synced", "Invoices synced"),
    ("payment_registered", "Payment registered"),
    ("refund_registered", "Refund registered"),
]
ACTOR_KINDS = [("staff", "Staff"), ("customer", "Customer"), ("system", "System")]


@sql_constraints
class DrmotoWoStatusLog(models.Model):
    """One row per work-order action: the timeline, and the memory of request keys.

    Rows are created by the work order's action methods only (no create ACL for anyone;
    the methods use sudo) and are never written or deleted. ``result`` holds the action's
    answer so a repeated request key returns it again.
    """

    _name = "drmoto.wo.status.log"
    _description = "Work order status log"
    _order = "id desc"
    _rec_name = "action"

    work_order_id = fields.Many2one(
        "drmoto.work.order", string="Work order", required=True, index=True, ondelete="restrict", readonly=True
    )
    company_id = fields.Many2one("res.company", string="Shop", index=True, readonly=True, ondelete="restrict")
    event = fields.Selection(EVENTS, required=True, readonly=True)
    action = fields.Char(required=True, readonly=True, help="The action method's name without 'action_'.")
    from_state = fields.Char(readonly=True)
    to_state = fields.Char(readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Odoo user", readonly=True, ondelete="restrict", help="The user that made the call."
    )
    actor_kind = fields.Selection(ACTOR_KINDS, required=True, readonly=True)
    actor_user_id = fields.Many2one("res.users", string="Acting staff", readonly=True, ondelete="restrict")
    actor_partner_id = fields.Many2one("res.partner", string="Acting customer", readonly=True, ondelete="restrict")
    request_key = fields.Char(required=True, readonly=True)
    trace_id = fields.Char(readonly=True)
    note = fields.Text(readonly=True)
    revision = fields.Integer(readonly=True, help="The work order's revision after the action.")
    result = fields.Text(readonly=True, help="The action's result (JSON), returned again on a replay.")

    _sql_constraints = [
        (
            "work_order_request_key_uniq",
            "unique(work_order_id, request_key)",
            "DRM_DUP_KEY: this request key was already used on this work order",
        ),
    ]

    def write(self, vals):
        raise forbidden(_("status log rows can't be changed"))

    def unlink(self):
        raise forbidden(_("status log rows can't be deleted"))
