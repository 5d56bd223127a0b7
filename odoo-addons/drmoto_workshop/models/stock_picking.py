"""Pickings of work orders (issue 4): each issue or return of parts is ONE picking, made and
validated by ``drmoto.work.order.action_issue_parts`` / ``action_return_parts``, keyed by
(work order, request key) with a hash of its lines.

What a work order's picking moved is the inventory truth behind the parts' issued and
returned quantities, so its locations, quantities and state change only through those
actions (the same internal token as the work order's protected fields).
"""
from odoo import _, fields, models
from odoo.exceptions import UserError

from .drmoto_actor import has_token
from .drmoto_compat import check_model_access, sql_constraints

DRMOTO_KINDS = [("issue", "Parts issue"), ("return", "Parts return")]

PICKING_GUARDED = frozenset({
    "state", "date_done", "location_id", "location_dest_id", "picking_type_id", "move_ids",
    "drmoto_work_order_id", "drmoto_request_key", "drmoto_lines_hash", "drmoto_kind",
})
MOVE_GUARDED = frozenset({
    "state", "quantity", "product_uom_qty", "product_id", "product_uom", "location_id", "location_dest_id",
    "picking_id", "move_line_ids",
})


def _in_action(env):
    # imported here: drmoto_work_order imports this module's constants
    from .drmoto_work_order import ACTION_CTX, ACTION_TOKEN
    return has_token(env, ACTION_CTX, ACTION_TOKEN)


def _guard_error(keys):
    return UserError(
        "DRM_VALIDATION: "
        + _("%s of a work order's transfer change only through the work order's actions", ", ".join(sorted(keys)))
    )


@sql_constraints
class StockPicking(models.Model):
    _inherit = "stock.picking"

    drmoto_work_order_id = fields.Many2one(
        "drmoto.work.order", string="Work order", index=True, readonly=True, copy=False, ondelete="restrict",
    )
    drmoto_request_key = fields.Char(string="Request key", readonly=True, copy=False)
    drmoto_lines_hash = fields.Char(
        string="Lines hash", readonly=True, copy=False,
        help="SHA-256 hex of the canonical JSON of the requested lines (sorted by product id, quantities as "
             "strings with the unit's precision).",
    )
    drmoto_kind = fields.Selection(DRMOTO_KINDS, string="Workshop operation", readonly=True, copy=False)

    _sql_constraints = [
        (
            "drmoto_wo_key_uniq",
            "unique(drmoto_work_order_id, drmoto_request_key)",
            "DRM_DUP_KEY: this request key already posted a picking on this work order",
        ),
    ]

    def write(self, vals):
        guarded = PICKING_GUARDED & set(vals)
        check_model_access(self, "write")
        if guarded and not _in_action(self.env) and any(p.drmoto_work_order_id for p in self.sudo()):
            raise _guard_error(guarded)
        return super().write(vals)

    def unlink(self):
        if not _in_action(self.env) and any(p.drmoto_work_order_id for p in self.sudo()):
            raise _guard_error({"unlink"})
        return super().unlink()

    def _send_confirmation_email(self):
        # parts handed over in the workshop are not deliveries: no "your order was delivered"
        # email (stock_move_email_validation) for a work order's transfers
        return super(StockPicking, self.filtered(lambda p: not p.drmoto_work_order_id))._send_confirmation_email()


class StockMove(models.Model):
    _inherit = "stock.move"

    drmoto_work_order_id = fields.Many2one(
        related="picking_id.drmoto_work_order_id", store=True, index=True, string="Work order",
    )

    def write(self, vals):
        guarded = MOVE_GUARDED & set(vals)
        check_model_access(self, "write")
        if guarded and not _in_action(self.env) and any(m.drmoto_work_order_id for m in self.sudo()):
            raise _guard_error(guarded)
        return super().write(vals)


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    def _drmoto_check_guard(self, what, operation="write"):
        check_model_access(self, operation)
        if not _in_action(self.env) and any(ml.move_id.drmoto_work_order_id for ml in self.sudo()):
            raise _guard_error({what})

    def write(self, vals):
        if {"quantity", "location_id", "location_dest_id", "product_id", "move_id", "picking_id"} & set(vals):
            self._drmoto_check_guard(", ".join(sorted(vals)))
        return super().write(vals)

    def unlink(self):
        self._drmoto_check_guard("unlink", "unlink")
        return super().unlink()
