from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .drmoto_actor import InternalToken, has_token
from .drmoto_compat import sql_constraints

QUOTE_STATES = [
    ("draft", "Draft"),
    ("sent", "Sent"),
    ("confirmed", "Confirmed"),
    ("rejected", "Rejected"),
    ("superseded", "Superseded"),
]
# set by the work order's actions; nothing else changes once a version left draft. The
# value must be QUOTE_TOKEN itself: a context sent over RPC can't carry it.
QUOTE_CTX = "drmoto_quote_action"
QUOTE_TOKEN = InternalToken(QUOTE_CTX)
STATE_FIELDS = frozenset({
    "state", "sent_at", "decided_at", "decided_by_user_id", "decided_by_partner_id", "decided_on_behalf",
})


@sql_constraints
class DrmotoWorkOrderQuote(models.Model):
    """One complete version of a work order's quote (labor and part lines, taxes, totals).

    Versions are made by ``drmoto.work.order.action_create_quote`` and moved by its
    send/confirm/reject actions. Once sent, a version is immutable: it is what the
    customer saw.
    """

    _name = "drmoto.work.order.quote"
    _description = "Work order quote version"
    _order = "work_order_id desc, version desc"

    name = fields.Char(compute="_compute_name", store=True)
    work_order_id = fields.Many2one(
        "drmoto.work.order", string="Work order", required=True, index=True, ondelete="restrict", readonly=True,
    )
    company_id = fields.Many2one(related="work_order_id.company_id", store=True, index=True, string="Shop")
    partner_id = fields.Many2one(related="work_order_id.partner_id", string="Customer")
    version = fields.Integer(required=True, readonly=True)
    state = fields.Selection(
        QUOTE_STATES, string="Status", required=True, default="draft", readonly=True, copy=False, index=True,
        help="* Draft: being prepared; lines can change.\n"
             "* Sent: shown to the customer, waiting for a decision; it can't change any more.\n"
             "* Confirmed: accepted by the customer (or by an advisor on their behalf).\n"
             "* Rejected: refused by the customer.\n"
             "* Superseded: replaced by a newer version before a decision.",
    )
    line_ids = fields.One2many("drmoto.work.order.quote.line", "quote_id", string="Lines", copy=True)
    currency_id = fields.Many2one(related="work_order_id.currency_id", string="Currency")
    amount_untaxed = fields.Monetary(compute="_compute_amounts", store=True, string="Untaxed amount")
    amount_tax = fields.Monetary(compute="_compute_amounts", store=True, string="Taxes")
    amount_total = fields.Monetary(compute="_compute_amounts", store=True, string="Total")
    sent_at = fields.Datetime(readonly=True, copy=False)
    decided_at = fields.Datetime(readonly=True, copy=False)
    decided_by_user_id = fields.Many2one("res.users", string="Decided by (staff)", readonly=True, copy=False)
    decided_by_partner_id = fields.Many2one("res.partner", string="Decided by (customer)", readonly=True, copy=False)
    decided_on_behalf = fields.Boolean(
        readonly=True, copy=False, help="Decided by staff on the customer's behalf (audited).",
    )
    note = fields.Text()

    _sql_constraints = [
        (
            "work_order_version_uniq",
            "unique(work_order_id, version)",
            "DRM_DUP_KEY: this quote version already exists on this work order",
        ),
    ]

    @api.depends("work_order_id.name", "version")
    def _compute_name(self):
        for quote in self:
            quote.name = "%s v%s" % (quote.work_order_id.name or "", quote.version)

    @api.depends("line_ids.price_subtotal", "line_ids.price_tax", "line_ids.price_total", "currency_id")
    def _compute_amounts(self):
        for quote in self:
            currency = quote.currency_id
            untaxed = sum(quote.line_ids.mapped("price_subtotal"))
            tax = sum(quote.line_ids.mapped("price_tax"))
            quote.amount_untaxed = currency.round(untaxed) if currency else untaxed
            quote.amount_tax = currency.round(tax) if currency else tax
            quote.amount_total = currency.round(untaxed + tax) if currency else untaxed + tax

    def _drmoto_locked_error(self):
        return UserError(
            "DRM_QUOTE_LOCKED: "
            + _("quote version %s of %s is '%s'; only a draft can change", self.version, self.work_order_id.name,
                self.state)
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not has_token(self.env, QUOTE_CTX, QUOTE_TOKEN):
            raise UserError(
                "DRM_VALIDATION: " + _("quote versions are created with the work order's action_create_quote")
            )
        return super().create(vals_list)

    def write(self, vals):
        if set(vals) & STATE_FIELDS and not has_token(self.env, QUOTE_CTX, QUOTE_TOKEN):
            raise UserError(
                "DRM_QUOTE_STATE: " + _("a quote's status changes only through the work order's actions")
            )
        if {"work_order_id", "version"} & set(vals):
            raise UserError("DRM_VALIDATION: " + _("a quote version can't move or be renumbered"))
        if set(vals) - STATE_FIELDS:
            for quote in self:
                if quote.state != "draft":
                    raise quote._drmoto_locked_error()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        for quote in self:
            if quote.state != "draft":
                raise quote._drmoto_locked_error()

    def _drmoto_form_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }
