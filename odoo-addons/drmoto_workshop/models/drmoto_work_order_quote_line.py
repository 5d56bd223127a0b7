from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare
from .drmoto_compat import sql_constraints


@sql_constraints
class DrmotoWorkOrderQuoteLine(models.Model):
    _name = "drmoto.work.order.quote.line"
    _description = "Work order quote line"
    _order = "quote_id, sequence, id"

    quote_id = fields.Many2one(
        "drmoto.work.order.quote", string="Quote", required=True, index=True, ondelete="cascade",
    )
    work_order_id = fields.Many2one(related="quote_id.work_order_id", store=True, index=True, string="Work order")
    company_id = fields.Many2one(related="quote_id.company_id", store=True, string="Shop")
    currency_id = fields.Many2one(related="quote_id.currency_id", string="Currency")
    sequence = fields.Integer(default=10)
    kind = fields.Selection([("labor", "Labor"), ("part", "Part")], required=True, default="labor")
    product_id = fields.Many2one("product.product", string="Product", index=True, ondelete="restrict",
                                 check_company=True)
    description = fields.Char(
        compute="_compute_from_product", store=True, readonly=False, precompute=True, required=True,
    )
    qty = fields.Float(string="Quantity", digits="Product Unit of Measure", required=True, default=1.0)
    price_unit = fields.Float(
        string="Unit price", digits="Product Price", compute="_compute_from_product", store=True, readonly=False,
        precompute=True,
    )
    discount = fields.Float(string="Discount (%)", digits="Discount", default=0.0)
    tax_ids = fields.Many2many(
        "account.tax", string="Taxes", compute="_compute_tax_ids", store=True, readonly=False, precompute=True,
        domain="[('type_tax_use', '=', 'sale'), ('company_id', '=', company_id)]",
    )
    price_subtotal = fields.Monetary(compute="_compute_amounts", store=True, string="Subtotal")
    price_tax = fields.Monetary(compute="_compute_amounts", store=True, string="Tax")
    price_total = fields.Monetary(compute="_compute_amounts", store=True, string="Total")

    _sql_constraints = [
        ("qty_positive", "CHECK(qty > 0)", "DRM_VALIDATION: a quote line's quantity must be > 0"),
        ("price_unit_positive", "CHECK(price_unit >= 0)", "DRM_VALIDATION: a quote line's price can't be negative"),
        (
            "discount_range",
            "CHECK(discount >= 0 AND discount <= 100)",
            "DRM_VALIDATION: a discount is between 0 and 100 %",
        ),
    ]

    @api.depends("product_id")
    def _compute_from_product(self):
        for line in self:
            if line.product_id:
                line.description = line.product_id.display_name
                line.price_unit = line.product_id.list_price
            else:
                line.description = line.description or False
                line.price_unit = line.price_unit or 0.0

    @api.depends("product_id", "kind")
    def _compute_tax_ids(self):
        for line in self:
            line.tax_ids = line.quote_id.work_order_id._drmoto_default_taxes(line.kind, line.product_id)

    @api.depends("qty", "price_unit", "discount", "tax_ids", "product_id", "currency_id")
    def _compute_amounts(self):
        for line in self:
            price = line.price_unit * (1 - (line.discount or 0.0) / 100.0)
            currency = line.currency_id or line.company_id.currency_id or self.env.company.currency_id
            # round per line whatever the company's rounding method: the contract's arithmetic
            taxes = line.tax_ids.with_context(round=True).compute_all(
                price, currency, line.qty, product=line.product_id, partner=line.quote_id.partner_id,
            )
            line.price_subtotal = taxes["total_excluded"]
            line.price_total = taxes["total_included"]
            line.price_tax = currency.round(taxes["total_included"] - taxes["total_excluded"])

    @api.constrains("kind", "product_id")
    def _check_part_product(self):
        for line in self:
            if line.kind == "part" and not line.product_id:
                raise ValidationError("DRM_VALIDATION: " + _("a part line needs a product"))

    # ------------------------------------------------------------------
    # a version that left draft is immutable: its lines too
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        quote_ids = {vals.get("quote_id") for vals in vals_list if vals.get("quote_id")}
        for quote in self.env["drmoto.work.order.quote"].browse(quote_ids):
            if quote.state != "draft":
                raise quote._drmoto_locked_error()
        lines = super().create(vals_list)
        lines._drmoto_audit_pricing()
        return lines

    def write(self, vals):
        for quote in self.quote_id:
            if quote.state != "draft":
                raise quote._drmoto_locked_error()
        if vals.get("quote_id"):
            target = self.env["drmoto.work.order.quote"].browse(vals["quote_id"])
            if target.state != "draft":
                raise target._drmoto_locked_error()
        pricing = {"price_unit", "discount", "product_id"} & set(vals)
        before = {line.id: (line.price_unit, line.discount) for line in self} if pricing else {}
        result = super().write(vals)
        if pricing:
            self._drmoto_audit_pricing(before)
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked(self):
        for quote in self.quote_id:
            if quote.state != "draft":
                raise quote._drmoto_locked_error()

    def _drmoto_audit_pricing(self, before=None):
        """One audit row per line priced away from the product's list price, and one per
        discount (on create, and on a write that changes either)."""
        audit = self.env["drmoto.audit.log"]
        digits = self.env["decimal.precision"].precision_get("Product Price")
        for line in self:
            old_price, old_discount = (before or {}).get(line.id, (None, None))
            product = line.product_id
            if product and float_compare(line.price_unit, product.list_price, precision_digits=digits) != 0 and (
                old_price is None or float_compare(line.price_unit, old_price, precision_digits=digits) != 0
            ):
                audit._drmoto_record(
                    "price_override", line,
                    before={"list_price": product.list_price, "price_unit": old_price},
                    after={"price_unit": line.price_unit, "product_id": product.id},
                    work_order=line.quote_id.work_order_id,
                )
            if line.discount and (old_discount is None or line.discount != old_discount):
                audit._drmoto_record(
                    "discount", line,
                    before={"discount": old_discount or 0.0, "price_unit": line.price_unit},
                    after={"discount": line.discount},
                    work_order=line.quote_id.work_order_id,
                )
