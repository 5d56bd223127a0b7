from odoo import fields, models


class DrmotoWorkOrderPart(models.Model):
    """A part of a work order. Issue 3: the planned quantity, mirrored from the part lines
    of the latest confirmed quote version. Issue 4 adds what was issued and returned
    through stock pickings."""

    _name = "drmoto.work.order.part"
    _description = "Work order part"
    _order = "work_order_id, id"
    _rec_name = "product_id"

    work_order_id = fields.Many2one(
        "drmoto.work.order", string="Work order", required=True, index=True, ondelete="cascade", readonly=True,
    )
    company_id = fields.Many2one(related="work_order_id.company_id", store=True, string="Shop")
    product_id = fields.Many2one("product.product", string="Product", required=True, readonly=True,
                                 ondelete="restrict")
    qty_planned = fields.Float(string="Planned", digits="Product Unit of Measure", readonly=True)
    uom_id = fields.Many2one("uom.uom", string="Unit", required=True, readonly=True, ondelete="restrict")
    quote_id = fields.Many2one(
        "drmoto.work.order.quote", string="Quote version", readonly=True, ondelete="restrict",
        help="The confirmed version the planned quantity comes from.",
    )
