from odoo import _, api, fields, models


class DrmotoWorkOrderPartsWizard(models.TransientModel):
    """The keeper's Issue / Return button: one product and a quantity, posted through the
    same method the BFF calls (``action_issue_parts`` / ``action_return_parts``) with a
    generated request key."""

    _name = "drmoto.work.order.parts.wizard"
    _description = "Issue or return work order parts"

    work_order_id = fields.Many2one("drmoto.work.order", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="work_order_id.company_id")
    mode = fields.Selection([("issue", "Issue"), ("return", "Return")], required=True, default="issue",
                            readonly=True)
    product_id = fields.Many2one(
        "product.product", required=True,
        domain="[('type', '=', 'product'), ('company_id', 'in', [False, company_id])]",
    )
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    qty = fields.Float(string="Quantity", digits="Product Unit of Measure", required=True, default=1.0)
    qty_net = fields.Float(string="Issued, not returned", digits="Product Unit of Measure",
                           compute="_compute_qty_net")

    @api.depends("work_order_id", "product_id")
    def _compute_qty_net(self):
        for wizard in self:
            part = wizard.work_order_id.sudo().part_ids.filtered(lambda p: p.product_id == wizard.product_id)
            wizard.qty_net = part[:1].qty_net

    def action_apply(self):
        self.ensure_one()
        wo = self.work_order_id
        method = wo.action_issue_parts if self.mode == "issue" else wo.action_return_parts
        result = method(wo._drmoto_new_key(), [{"product_id": self.product_id.id, "qty": self.qty}])
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": _("%s posted", result["picking_name"]),
                "type": "success",
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
