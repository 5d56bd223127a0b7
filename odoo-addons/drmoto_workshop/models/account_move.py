"""Invoices, credit notes and payments of work orders (docs/odoo-contract.md, issue 5).

They are created and posted only by ``drmoto.work.order.action_sync_invoices`` and
``action_register_payment`` (sudo, after the actor check). The link to the work order, the
request key, the invoiced quote version, the ledger reference and the channel are set by those
actions only; a linked entry can't be reset to draft, cancelled or deleted outside them, so
``amount_invoiced`` / ``amount_paid`` always follow what the BFF's ledger sent. Everything else
stays with Odoo's accounting rules (a posted entry is immutable anyway).

The fields live on ``account.move``. On 17 an ``account.payment`` is an ``_inherits`` of its move, so
``payment.drmoto_work_order_id`` & co. are the payment move's columns; on 18+ the payment is its own table
and has its own copies (set together with its journal entry's by ``_drmoto_post_payment``). The ledger
reference is unique per company on ``account_move`` (and on 18+ on ``account_payment`` too).
"""
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .drmoto_actor import has_token
from .drmoto_compat import PAYMENT_INHERITS_MOVE, sql_constraints

CHANNELS = [("wechat", "WeChat Pay"), ("stripe", "Stripe"), ("offline", "Offline")]
MOVE_GUARDED = frozenset({
    "drmoto_work_order_id", "drmoto_request_key", "drmoto_quote_id", "drmoto_ledger_ref", "drmoto_channel",
})


def _in_action(env):
    # imported here: drmoto_work_order imports this module
    from .drmoto_work_order import ACTION_CTX, ACTION_TOKEN
    return has_token(env, ACTION_CTX, ACTION_TOKEN)


def _guard_error(move, what):
    return UserError(
        "DRM_VALIDATION: "
        + _("%s belongs to work order %s: its %s change only through the work order's actions", move.name,
            move.drmoto_work_order_id.name, what)
    )


@sql_constraints
class AccountMove(models.Model):
    _inherit = "account.move"

    drmoto_work_order_id = fields.Many2one(
        "drmoto.work.order", string="Work order", index="btree_not_null", readonly=True, copy=False,
        ondelete="restrict",
    )
    drmoto_request_key = fields.Char(
        string="Request key", readonly=True, copy=False,
        help="The key of the action_sync_invoices call that created this invoice or credit note.",
    )
    drmoto_quote_id = fields.Many2one(
        "drmoto.work.order.quote", string="Invoiced quote version", readonly=True, copy=False, ondelete="restrict",
        help="The quote version this invoice or credit note brought the work order's net invoiced amount to.",
    )
    drmoto_ledger_ref = fields.Char(
        string="Ledger reference", readonly=True, copy=False,
        help="The BFF ledger row this payment registers (unique per shop).",
    )
    drmoto_channel = fields.Selection(CHANNELS, string="Payment channel", readonly=True, copy=False)

    _sql_constraints = [
        (
            "drmoto_ledger_ref_company_uniq",
            "unique(company_id, drmoto_ledger_ref)",
            "DRM_DUP_KEY: this ledger entry is already registered",
        ),
    ]

    def _drmoto_guard(self, what):
        if _in_action(self.env):
            return
        for move in self.sudo():
            if move.drmoto_work_order_id:
                raise _guard_error(move, what)

    @api.model_create_multi
    def create(self, vals_list):
        if not _in_action(self.env):
            for vals in vals_list:
                guarded = {key for key in MOVE_GUARDED & set(vals) if vals[key]}
                if guarded:
                    raise UserError(
                        "DRM_VALIDATION: "
                        + _("%s are set only by the work order's actions", ", ".join(sorted(guarded)))
                    )
        return super().create(vals_list)

    def write(self, vals):
        guarded = MOVE_GUARDED & set(vals)
        if guarded:
            self._drmoto_guard(", ".join(sorted(guarded)))
        return super().write(vals)

    def button_draft(self):
        self._drmoto_guard(_("state"))
        return super().button_draft()

    def button_cancel(self):
        self._drmoto_guard(_("state"))
        return super().button_cancel()

    def unlink(self):
        self._drmoto_guard(_("existence"))
        return super().unlink()


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    drmoto_adjustment = fields.Boolean(
        string="Work order adjustment", readonly=True, copy=False,
        help="An untaxed line the invoice sync added so the net invoiced amount lands on its target exactly.",
    )


@sql_constraints
class AccountPayment(models.Model):
    _inherit = "account.payment"

    if not PAYMENT_INHERITS_MOVE:
        drmoto_work_order_id = fields.Many2one(
            "drmoto.work.order", string="Work order", index="btree_not_null", readonly=True, copy=False,
            ondelete="restrict",
        )
        drmoto_ledger_ref = fields.Char(
            string="Ledger reference", readonly=True, copy=False,
            help="The BFF ledger row this payment registers (unique per shop).",
        )
        drmoto_channel = fields.Selection(CHANNELS, string="Payment channel", readonly=True, copy=False)

        _sql_constraints = [
            (
                "drmoto_ledger_ref_company_uniq",
                "unique(company_id, drmoto_ledger_ref)",
                "DRM_DUP_KEY: this ledger entry is already registered",
            ),
        ]

    @api.model_create_multi
    def create(self, vals_list):
        if not _in_action(self.env):
            for vals in vals_list:
                guarded = {key for key in MOVE_GUARDED & set(vals) if vals[key]}
                if guarded:
                    raise UserError(
                        "DRM_VALIDATION: "
                        + _("%s are set only by the work order's actions", ", ".join(sorted(guarded)))
                    )
        return super().create(vals_list)

    def write(self, vals):
        guarded = MOVE_GUARDED & set(vals)
        if guarded and not _in_action(self.env):
            for payment in self.sudo():
                if payment.drmoto_work_order_id:
                    raise _guard_error(payment, ", ".join(sorted(guarded)))
        return super().write(vals)

    def action_draft(self):
        self.move_id._drmoto_guard(_("state"))
        return super().action_draft()

    def action_cancel(self):
        self.move_id._drmoto_guard(_("state"))
        return super().action_cancel()
