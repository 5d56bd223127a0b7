from odoo import api, fields, models
from odoo.tools import float_compare, float_round
from .drmoto_compat import sql_constraints

PART_SOURCES = [("quote", "Quote"), ("advisor", "Advisor"), ("request", "Request")]


@sql_constraints
class DrmotoWorkOrderPart(models.Model):
    """A part of a work order: one row per product per work order.

    ``qty_planned`` mirrors the part lines of the latest confirmed quote version (issue 3);
    ``qty_requested`` is what technicians requested (cumulative, ``action_request_parts``);
    ``qty_issued`` / ``qty_returned`` are computed from the DONE moves of the work order's
    issue and return pickings (issue 4): inventory truth is Odoo's done stock moves.
    """

    _name = "drmoto.work.order.part"
    _description = "Work order part"
    _order = "work_order_id, id"
    _rec_name = "product_id"

    work_order_id = fields.Many2one(
        "drmoto.work.order", string="Work order", required=True, index=True, ondelete="cascade", readonly=True,
    )
    company_id = fields.Many2one(related="work_order_id.company_id", store=True, string="Shop")
    work_order_state = fields.Selection(related="work_order_id.state", string="Work order status")
    product_id = fields.Many2one("product.product", string="Product", required=True, readonly=True,
                                 ondelete="restrict")
    qty_planned = fields.Float(string="Planned", digits="Product Unit of Measure", readonly=True)
    qty_requested = fields.Float(
        string="Requested", digits="Product Unit of Measure", readonly=True, default=0.0,
        help="What the technicians requested (cumulative).",
    )
    qty_issued = fields.Float(
        string="Issued", digits="Product Unit of Measure", compute="_compute_qty_moved", store=True,
        help="Done moves of the work order's issue pickings, in the part's unit.",
    )
    qty_returned = fields.Float(
        string="Returned", digits="Product Unit of Measure", compute="_compute_qty_moved", store=True,
        help="Done moves of the work order's return pickings, in the part's unit.",
    )
    qty_net = fields.Float(
        string="Net issued", digits="Product Unit of Measure", compute="_compute_qty_moved", store=True,
        help="Issued less returned.",
    )
    qty_to_issue = fields.Float(
        string="To issue", digits="Product Unit of Measure", compute="_compute_qty_moved", store=True,
        help="What is requested or planned (the larger) and not issued yet.",
    )
    uom_id = fields.Many2one("uom.uom", string="Unit", required=True, readonly=True, ondelete="restrict")
    quote_id = fields.Many2one(
        "drmoto.work.order.quote", string="Quote version", readonly=True, ondelete="restrict",
        help="The confirmed version the planned quantity comes from.",
    )
    source = fields.Selection(PART_SOURCES, required=True, default="quote", readonly=True,
                              help="How the row came to be: a confirmed quote, the advisor, a request.")

    _sql_constraints = [
        (
            "work_order_product_uniq",
            "unique(work_order_id, product_id)",
            "DRM_VALIDATION: a work order has one part row per product",
        ),
    ]

    @api.depends(
        "product_id", "uom_id", "qty_planned", "qty_requested",
        "work_order_id.picking_ids.drmoto_kind",
        "work_order_id.picking_ids.move_ids.state",
        "work_order_id.picking_ids.move_ids.quantity",
        "work_order_id.picking_ids.move_ids.product_uom",
        "work_order_id.picking_ids.move_ids.product_id",
    )
    def _compute_qty_moved(self):
        for part in self:
            issued = returned = 0.0
            uom = part.uom_id or part.product_id.uom_id
            for picking in part.work_order_id.picking_ids:
                if picking.drmoto_kind not in ("issue", "return"):
                    continue
                for move in picking.move_ids:
                    if move.state != "done" or move.product_id != part.product_id:
                        continue
                    qty = move.product_uom._compute_quantity(move.quantity, uom, rounding_method="HALF-UP")
                    if picking.drmoto_kind == "issue":
                        issued += qty
                    else:
                        returned += qty
            rounding = uom.rounding or 0.01
            part.qty_issued = float_round(issued, precision_rounding=rounding)
            part.qty_returned = float_round(returned, precision_rounding=rounding)
            part.qty_net = float_round(issued - returned, precision_rounding=rounding)
            wanted = max(part.qty_planned, part.qty_requested)
            todo = float_round(wanted - part.qty_net, precision_rounding=rounding)
            part.qty_to_issue = todo if float_compare(todo, 0.0, precision_rounding=rounding) > 0 else 0.0

    # ------------------------------------------------------------------
    # keeper UI: the buttons of the "Parts requests" list
    # ------------------------------------------------------------------

    def _drmoto_wizard(self, mode):
        self.ensure_one()
        qty = self.qty_to_issue if mode == "issue" else self.qty_net
        return {
            "type": "ir.actions.act_window",
            "name": "Issue parts" if mode == "issue" else "Return parts",
            "res_model": "drmoto.work.order.parts.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_work_order_id": self.work_order_id.id,
                "default_mode": mode,
                "default_product_id": self.product_id.id,
                "default_qty": qty if qty > 0 else 1.0,
            },
        }

    def action_drmoto_issue_wizard(self):
        return self._drmoto_wizard("issue")

    def action_drmoto_return_wizard(self):
        return self._drmoto_wizard("return")
