"""Invoices, payments and the settled rule of work orders (docs/odoo-contract.md, issue 5).

Payment truth is the BFF's ledger; its settlement job (the system actor) calls, per ledger charge,
``action_sync_invoices``, ``action_register_payment`` and ``action_close``. Neither of the first two
writes the work order (its revision stays: a payment must not make the client's If-Match stale);
each writes ONE status-log row when it acts.

Invoicing construction (exact to the cent with tax-included and tax-excluded taxes alike):
the lines of the work order's posted sync invoices (+) and credit notes (-) form a signed multiset
of *whole* quote lines (product, label, quantity, unit price, discount, taxes). The sync compares
it with the lines of the latest confirmed version: the first invoice carries all of them; later,
ONE move carries the difference -- a line of the version that is not invoiced yet at its own
quantity, an invoiced line that left the version at its negated quantity (identical lines cancel
out). An increase is an ``out_invoice``, a decrease an ``out_refund`` with the signs swapped. Each
line is an exact copy of a quote line, and taxes are rounded per line (as the quote does), so the
new net equals the version's total to the cent, taxes included. Refund credit notes (made by
``action_register_refund``, carrying a ledger reference) stay out of the line difference and lower
the target (``amount_total - amount_credited``) by exactly their amount, so they are never
invoiced again; should anything else ever disagree, one adjustment line makes up the rest.

Refunds (issue 7): a refund = an outbound payment, plus a credit note for the part that lowers the
price (decided by the BFF); ``amount_due = amount_total - amount_credited - amount_paid``, so a
refund never makes money due again (docs/odoo-contract.md "What a refund means").
"""
import math
from collections import Counter

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_repr

from .drmoto_compat import PAYMENT_INHERITS_MOVE, PAYMENT_MEMO, outstanding_receipts_account, payment_posted
from .drmoto_work_order import MAX_KEY, _is_number, _validation

# channel -> (journal code, name, type); created on first use (sudo) when the shop has none
CHANNEL_JOURNALS = {
    "wechat": ("WXP", "WeChat Pay", "bank"),
    "stripe": ("STRP", "Stripe", "bank"),
    "offline": ("CASH", "Cash", "cash"),
}
SYNC_KINDS = ("out_invoice", "out_refund")
PAYMENT_KEY_PREFIX = "ledger/"
# the refund credit note's ledger reference: <the refund's ledger reference>/credit
CREDIT_SUFFIX = "/credit"


class DrmotoWorkOrderInvoicing(models.Model):
    _inherit = "drmoto.work.order"

    amount_paid = fields.Monetary(
        compute="_compute_amount_paid", store=True, readonly=True, copy=False,
        help="Net registered payments: posted inbound payments less posted outbound ones (refunds) that the "
             "work order's actions registered from the BFF's ledger.",
    )
    amount_refunded = fields.Monetary(
        string="Refunded", compute="_compute_amount_paid", store=True, readonly=True, copy=False,
        help="Posted outbound payments (refunds) registered from the BFF's ledger.",
    )
    amount_credited = fields.Monetary(
        string="Credited by refunds", compute="_compute_amount_credited", store=True, readonly=True, copy=False,
        help="Posted refund credit notes: the part of refunds that lowered the price (goodwill, warranty, work not "
             "done). The net price is the confirmed total less this; a refund that returned an overpayment has none.",
    )
    amount_invoiced = fields.Monetary(
        string="Invoiced", compute="_compute_amount_invoiced", store=True, readonly=True, copy=False,
        help="Posted customer invoices less posted credit notes of the work order.",
    )
    drmoto_move_ids = fields.One2many("account.move", "drmoto_work_order_id", string="Journal entries", readonly=True)
    invoice_ids = fields.One2many(
        "account.move", "drmoto_work_order_id", string="Invoices", readonly=True,
        domain=[("move_type", "in", SYNC_KINDS)],
    )
    payment_ids = fields.One2many("account.payment", "drmoto_work_order_id", string="Payments", readonly=True)
    invoice_count = fields.Integer(compute="_compute_accounting_counts", compute_sudo=True)
    payment_count = fields.Integer(compute="_compute_accounting_counts", compute_sudo=True)

    @api.depends(
        "payment_ids.move_id.state", "payment_ids.amount", "payment_ids.payment_type", "payment_ids.drmoto_ledger_ref",
    )
    def _compute_amount_paid(self):
        for wo in self:
            inbound = outbound = 0.0
            for payment in wo.payment_ids:
                if not payment_posted(payment) or not payment.drmoto_ledger_ref:
                    continue
                if payment.payment_type == "inbound":
                    inbound += payment.amount
                else:
                    outbound += payment.amount
            currency = wo.currency_id
            wo.amount_paid = currency.round(inbound - outbound) if currency else inbound - outbound
            wo.amount_refunded = currency.round(outbound) if currency else outbound

    @api.depends(
        "drmoto_move_ids.state", "drmoto_move_ids.move_type", "drmoto_move_ids.amount_total",
        "drmoto_move_ids.drmoto_ledger_ref",
    )
    def _compute_amount_credited(self):
        for wo in self:
            total = sum(
                move.amount_total for move in wo.drmoto_move_ids
                if move.state == "posted" and move.move_type == "out_refund" and move.drmoto_ledger_ref
            )
            wo.amount_credited = wo.currency_id.round(total) if wo.currency_id else total

    @api.depends("amount_total", "amount_paid", "amount_credited", "currency_id")
    def _compute_amount_due(self):
        """Net price (confirmed total - refund credit notes) - net paid; < 0 = money held. A refund
        never makes money due again (docs/odoo-contract.md "What a refund means")."""
        for wo in self:
            wo.amount_due = wo.currency_id.round(wo.amount_total - wo.amount_credited - wo.amount_paid)

    @api.depends("drmoto_move_ids.state", "drmoto_move_ids.move_type", "drmoto_move_ids.amount_total")
    def _compute_amount_invoiced(self):
        for wo in self:
            total = 0.0
            for move in wo.drmoto_move_ids:
                if move.state == "posted" and move.move_type in SYNC_KINDS:
                    total += move.amount_total if move.move_type == "out_invoice" else -move.amount_total
            wo.amount_invoiced = wo.currency_id.round(total) if wo.currency_id else total

    @api.depends("drmoto_move_ids", "payment_ids")
    def _compute_accounting_counts(self):
        for wo in self:
            wo.invoice_count = len(wo.drmoto_move_ids.filtered(lambda m: m.move_type in SYNC_KINDS))
            wo.payment_count = len(wo.payment_ids)

    # ------------------------------------------------------------------
    # the settled rule
    # ------------------------------------------------------------------

    def _drmoto_clean(self, amount):
        """``amount`` in the currency's precision as a plain float (624.05, not 624.0500000000001)."""
        currency = self.currency_id
        return float(float_repr(currency.round(amount), currency.decimal_places)) + 0.0

    def _drmoto_money(self, amount):
        return "%s %s" % (self._drmoto_amount_str(amount), self.currency_id.name)

    def _drmoto_invoicing_target(self):
        """The net price: latest confirmed total - refund credit notes; 0 for a cancelled work order
        (nothing is owed)."""
        self.ensure_one()
        if self.state == "cancelled":
            return 0.0
        return self._drmoto_clean(self.amount_total - self.amount_credited)

    def _drmoto_close_blocker(self, after_delivery=False):
        """Settled = nothing due AND net invoiced = latest confirmed total - refund credit notes."""
        reason = super()._drmoto_close_blocker(after_delivery=after_delivery)
        if reason:
            return reason
        target = self._drmoto_invoicing_target()
        if float_compare(self.amount_invoiced, target, precision_rounding=self.currency_id.rounding) != 0:
            return "DRM_NOT_INVOICED: " + _(
                "work order %s has %s invoiced, not %s; sync its invoices first", self.name,
                self._drmoto_money(self.amount_invoiced), self._drmoto_money(target),
            )
        return False

    # ------------------------------------------------------------------
    # action_sync_invoices
    # ------------------------------------------------------------------

    def action_sync_invoices(self, request_key=False):
        """Make ``amount_invoiced`` follow ``latest confirmed total - amount_refunded``: nothing to do ->
        no move, no log row; increase -> ONE posted supplementary invoice; decrease -> ONE posted credit
        note (construction: module docstring). System, cashier, manager.
        Returns ``{id, invoice_ids: [created], amount_invoiced, target, replayed}``."""
        wo, key, actor, replay = self._drmoto_prepare("sync_invoices", False, request_key, None)
        if replay is not None:
            replay.pop("log_id", None)
            return self._drmoto_ui(replay)
        if wo.state == "cancelled":
            raise wo._drmoto_state_error("sync_invoices")
        move, target = wo._drmoto_env(key)._drmoto_sync_moves(key)
        result = {
            "id": wo.id, "invoice_ids": move.ids, "amount_invoiced": wo._drmoto_clean(wo.amount_invoiced),
            "target": target,
        }
        if move:
            wo._drmoto_log(
                "sync_invoices", "invoices_synced", actor, key, wo.state, wo.state,
                "%s: %s%s" % (move.name, "-" if move.move_type == "out_refund" else "",
                              wo._drmoto_money(move.amount_total)), result,
            )
        return self._drmoto_ui(dict(result, replayed=False))

    def _drmoto_sync_moves(self, key):
        """ONE posted invoice or credit note that brings ``amount_invoiced`` to the target, or nothing;
        then reconciles. Runs in the action environment. Returns ``(move or empty, target)``."""
        self.ensure_one()
        self.env.flush_all()
        self.invalidate_recordset(["amount_invoiced"])
        target = self._drmoto_invoicing_target()
        delta = self.currency_id.round(target - self.amount_invoiced)
        if self.currency_id.is_zero(delta):
            return self.env["account.move"], target
        move = self._drmoto_make_sync_move(delta, key)
        self._drmoto_reconcile()
        self.env.flush_all()
        self.invalidate_recordset(["amount_invoiced"])
        return move.with_env(self.env), target

    def action_cancel(self, revision=False, request_key=False, reason=False):
        """A cancelled work order owes nothing: after the cancel, ONE credit note for whatever is
        invoiced (key ``<cancel's request key>/invoices``; no money is held, the cancel guard saw to that)."""
        before = self.exists().state
        result = super().action_cancel(revision, request_key, reason)
        wo = self.exists().sudo()
        if before != "cancelled" and wo.state == "cancelled":
            wo.invalidate_recordset(["amount_invoiced"])
            if not wo.currency_id.is_zero(wo.amount_invoiced):
                key = wo.status_log_ids.filtered(lambda row: row.event == "cancel").sorted("id")[-1:].request_key
                wo.with_env(self.env)._drmoto_env(key)._drmoto_sync_moves("%s/invoices" % key[: MAX_KEY - 9])
        return result

    @api.model
    def _drmoto_line_key(self, product, name, qty, price_unit, discount, taxes):
        """A whole invoiceable line, comparable between quote lines and invoice lines."""
        precision = self.env["decimal.precision"]
        return (
            product.id or False,
            (name or "").strip(),
            float_repr(abs(qty), precision.precision_get("Product Unit of Measure")),
            float_repr(price_unit, precision.precision_get("Product Price")),
            float_repr(discount or 0.0, precision.precision_get("Discount")),
            tuple(sorted(taxes.ids)),
        )

    def _drmoto_invoiced_lines(self):
        """Counter of line keys: +1 per line invoiced, -1 per line credited, over the posted moves of
        the sync (the adjustment lines of entries it did not make are left out)."""
        self.ensure_one()
        counts = Counter()
        for move in self.drmoto_move_ids:
            # the sync's moves: refund credit notes (a later issue) carry a ledger reference
            if move.state != "posted" or move.move_type not in SYNC_KINDS or move.drmoto_ledger_ref:
                continue
            move_sign = 1 if move.move_type == "out_invoice" else -1
            for line in move.invoice_line_ids:
                if line.display_type != "product" or line.drmoto_adjustment:
                    continue
                sign = move_sign * (1 if line.quantity >= 0 else -1)
                counts[self._drmoto_line_key(
                    line.product_id, line.name, line.quantity, line.price_unit, line.discount, line.tax_ids,
                )] += sign
        return counts

    def _drmoto_make_sync_move(self, delta, key):
        """ONE posted ``out_invoice`` (delta > 0) or ``out_refund`` (delta < 0) that moves the net
        invoiced amount by exactly ``delta``."""
        self.ensure_one()
        currency = self.currency_id
        quote = self.confirmed_quote_id if self.state != "cancelled" else self.env["drmoto.work.order.quote"]
        wanted = Counter()
        for line in quote.line_ids.sorted(lambda l: (l.sequence, l.id)):
            wanted[self._drmoto_line_key(
                line.product_id, line.description, line.qty, line.price_unit, line.discount, line.tax_ids,
            )] += 1
        invoiced = self._drmoto_invoiced_lines()
        refund = delta < 0
        sign = -1 if refund else 1
        line_vals = []
        expected = 0.0
        # the version's lines in its order, then the invoiced lines that left it
        for line_key in list(wanted) + [k for k in invoiced if k not in wanted]:
            diff = wanted[line_key] - invoiced[line_key]
            if not diff:
                continue
            vals, total = self._drmoto_key_line_vals(line_key)
            # ``diff`` copies of the whole line: rounding per line keeps each copy exact
            for _copy in range(abs(diff)):
                qty_sign = (1 if diff > 0 else -1) * sign
                line_vals.append(dict(vals, quantity=qty_sign * vals["quantity"]))
                expected += (1 if diff > 0 else -1) * total
        rest = currency.round(delta - expected)
        if not currency.is_zero(rest):
            # entries the sync did not make disagree with amount_refunded: one line for the rest, with
            # the shop's default sale tax when it is price-included (the total stays exact), else untaxed
            default_tax = self.company_id.account_sale_tax_id
            line_vals.append({
                "name": _("Adjustment"),
                "quantity": sign * (1 if rest > 0 else -1),
                "price_unit": abs(rest),
                "tax_ids": [(6, 0, default_tax.ids if default_tax.price_include else [])],
                "drmoto_adjustment": True,
            })
        journal = self._drmoto_sale_journal()
        last_invoice = self.drmoto_move_ids.filtered(
            lambda m: m.state == "posted" and m.move_type == "out_invoice"
        ).sorted("id")[-1:]
        move = self.env["account.move"].with_company(self.company_id).with_context(
            default_move_type="out_refund" if refund else "out_invoice", mail_create_nosubscribe=True,
        ).create({
            "move_type": "out_refund" if refund else "out_invoice",
            "journal_id": journal.id,
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.id,
            "currency_id": currency.id,
            "invoice_date": fields.Date.context_today(self),
            "invoice_origin": self.name,
            "ref": "%s v%s" % (self.name, quote.version) if quote else self.name,
            "reversed_entry_id": last_invoice.id if refund and last_invoice else False,
            "drmoto_work_order_id": self.id,
            "drmoto_request_key": key,
            "drmoto_quote_id": quote.id or False,
            "invoice_line_ids": [(0, 0, vals) for vals in line_vals],
        })
        if float_compare(move.amount_total, abs(delta), precision_rounding=currency.rounding) != 0:
            raise _validation(_(
                "the %s of work order %s would be %s %s, not %s: the shop must round taxes per line",
                _("credit note") if refund else _("invoice"), self.name,
                self._drmoto_amount_str(move.amount_total), currency.name, self._drmoto_amount_str(abs(delta)),
            ))
        move.action_post()
        return move

    def _drmoto_key_line_vals(self, line_key):
        """Invoice line values (positive quantity) of a line key and its total with taxes, computed like
        the quote line (``compute_all`` per line, rounded per line)."""
        product_id, name, qty, price_unit, discount, tax_ids = line_key
        qty, price_unit, discount = float(qty), float(price_unit), float(discount)
        product = self.env["product.product"].browse(product_id)
        taxes = self.env["account.tax"].browse(list(tax_ids))
        vals = {
            "product_id": product_id,
            "name": name,
            "quantity": qty,
            "price_unit": price_unit,
            "discount": discount,
            "tax_ids": [(6, 0, list(tax_ids))],
        }
        total = taxes.with_context(round=True).compute_all(
            price_unit * (1 - discount / 100.0), self.currency_id, qty, product=product, partner=self.partner_id,
        )["total_included"]
        return vals, total

    def _drmoto_sale_journal(self):
        journal = self.env["account.journal"].search([
            ("company_id", "=", self.company_id.id), ("type", "=", "sale"), ("active", "=", True),
        ], limit=1)
        if not journal:
            raise _validation(_("the shop %s has no sales journal", self.company_id.name))
        return journal

    def _drmoto_reconcile(self):
        """Match the open receivable items of the work order's posted invoices, credit notes and
        payments, account by account (``account.move.line.reconcile``: oldest first)."""
        self.ensure_one()
        lines = self.drmoto_move_ids.filtered(lambda m: m.state == "posted").line_ids.filtered(
            lambda l: l.account_id.account_type == "asset_receivable" and not l.reconciled
            and not l.company_currency_id.is_zero(l.amount_residual)
        )
        for account in lines.account_id:
            group = lines.filtered(lambda l: l.account_id == account)
            if any(l.amount_residual > 0 for l in group) and any(l.amount_residual < 0 for l in group):
                group.reconcile()

    # ------------------------------------------------------------------
    # action_register_payment
    # ------------------------------------------------------------------

    def action_register_payment(self, ledger_ref=False, amount=False, channel=False, note=False):
        """ONE posted inbound payment of ``amount`` on the channel's journal, reconciled with the work
        order's open invoices; keyed by ``ledger_ref`` (unique per shop). System, cashier, manager;
        every state but ``cancelled``. Audited for a staff actor, and always for ``offline`` money
        (``note``: the method, reference and cashier the BFF recorded).
        Returns ``{id, payment_id, amount_paid, amount_due, replayed}``."""
        if not isinstance(ledger_ref, str) or not ledger_ref.strip() or len(ledger_ref) > MAX_KEY:
            raise _validation(_("a ledger reference is a string of 1 to %s characters", MAX_KEY))
        currency = self.exists().currency_id or self.env.company.currency_id
        if not _is_number(amount) or not math.isfinite(amount) or float_compare(
            amount, 0.0, precision_rounding=currency.rounding
        ) <= 0:
            raise _validation(_("amount must be a number > 0"))
        if not isinstance(channel, str) or channel not in CHANNEL_JOURNALS:
            raise _validation(_("unknown payment channel %r: use wechat, stripe or offline", channel))
        key = PAYMENT_KEY_PREFIX + ledger_ref
        wo, key, _replay = self._drmoto_begin("register_payment", key)
        currency = wo.currency_id
        amount = currency.round(amount)

        # 1. the ledger reference: registered already -> the same payment, or a conflict
        payment = self.env["account.payment"].sudo().search([
            ("drmoto_ledger_ref", "=", ledger_ref), ("company_id", "=", wo.company_id.id),
        ], limit=1)
        if payment:
            if payment.drmoto_work_order_id != wo:
                other = payment.drmoto_work_order_id
                raise UserError(
                    "DRM_DUP_KEY: " + _("ledger entry %s is already registered as %s on %s", ledger_ref, payment.name,
                                        _("work order %s", other.name) if other else _("no work order"))
                )
            if (
                payment.payment_type != "inbound" or payment.drmoto_channel != channel
                or float_compare(payment.amount, amount, precision_rounding=currency.rounding) != 0
            ):
                raise UserError(
                    "DRM_DUP_KEY: " + _("ledger entry %s is already registered as %s for %s via %s, not %s via %s",
                                        ledger_ref, payment.name, wo._drmoto_money(payment.amount),
                                        payment.drmoto_channel, wo._drmoto_money(amount), channel)
                )
            return wo._drmoto_payment_result(payment, True)

        # 2. actor, 3. state
        actor = wo._drmoto_check_actor("register_payment")
        if wo.state == "cancelled":
            raise wo._drmoto_state_error("register_payment")

        # 4. one posted payment, reconciled; one status-log row (and an audit row for staff)
        env_wo = wo._drmoto_env(key)
        payment = env_wo._drmoto_post_payment("inbound", amount, currency, channel, ledger_ref, wo.name)
        wo.invalidate_recordset(["amount_paid", "amount_due", "amount_refunded"])
        result = wo._drmoto_payment_result(payment, False)
        if actor["kind"] == "staff" or channel == "offline":
            env_wo.env["drmoto.audit.log"]._drmoto_record(
                "payment", payment, after={"payment": payment.name, "amount": amount, "channel": channel,
                                           "ledger_ref": ledger_ref}, work_order=wo,
                note=note if isinstance(note, str) and note else False,
            )
        wo._drmoto_log(
            "register_payment", "payment_registered", actor, key, wo.state, wo.state,
            "%s: %s via %s" % (payment.name, wo._drmoto_money(amount), channel),
            {k: v for k, v in result.items() if k != "replayed"},
        )
        return self._drmoto_ui(result)

    # ------------------------------------------------------------------
    # action_register_refund
    # ------------------------------------------------------------------

    def action_register_refund(self, ledger_ref=False, amount=False, channel=False, credit_amount=0.0):
        """A refund from the BFF's ledger: ONE posted outbound payment of ``amount`` on the channel's
        journal and, when ``credit_amount`` > 0, ONE posted credit note of exactly that amount (the part
        of the refund that lowers the price; the rest returns an overpayment -- the BFF decides the
        split when the refund is asked for). Keyed by ``ledger_ref`` (the payment) and
        ``<ledger_ref>/credit`` (the credit note). System, cashier, manager; every state but
        ``cancelled`` (a refund after close leaves the work order closed and settled).
        Returns ``{id, payment_id, credit_note_id, amount_paid, amount_refunded, amount_credited,
        amount_due, replayed}``."""
        if not isinstance(ledger_ref, str) or not ledger_ref.strip() or len(ledger_ref) > MAX_KEY - len(CREDIT_SUFFIX):
            raise _validation(_("a ledger reference is a string of 1 to %s characters", MAX_KEY - len(CREDIT_SUFFIX)))
        currency = self.exists().currency_id or self.env.company.currency_id
        if not _is_number(amount) or not math.isfinite(amount) or float_compare(
            amount, 0.0, precision_rounding=currency.rounding
        ) <= 0:
            raise _validation(_("amount must be a number > 0"))
        if credit_amount is False or credit_amount is None:
            credit_amount = 0.0
        if not _is_number(credit_amount) or not math.isfinite(credit_amount) or float_compare(
            credit_amount, 0.0, precision_rounding=currency.rounding
        ) < 0 or float_compare(credit_amount, amount, precision_rounding=currency.rounding) > 0:
            raise _validation(_("credit_amount must be a number from 0 to the refunded amount"))
        if not isinstance(channel, str) or channel not in CHANNEL_JOURNALS:
            raise _validation(_("unknown payment channel %r: use wechat, stripe or offline", channel))
        key = PAYMENT_KEY_PREFIX + ledger_ref
        wo, key, _replay = self._drmoto_begin("register_refund", key)
        currency = wo.currency_id
        amount, credit = currency.round(amount), currency.round(credit_amount)
        credit_ref = ledger_ref + CREDIT_SUFFIX

        # 1. the ledger reference: registered already -> the same refund, or a conflict
        Move = self.env["account.move"].sudo()
        payment = self.env["account.payment"].sudo().search([
            ("drmoto_ledger_ref", "=", ledger_ref), ("company_id", "=", wo.company_id.id),
        ], limit=1)
        if payment:
            credit_note = Move.search([("drmoto_ledger_ref", "=", credit_ref), ("company_id", "=", wo.company_id.id)], limit=1)
            if (
                payment.drmoto_work_order_id != wo or payment.payment_type != "outbound"
                or payment.drmoto_channel != channel
                or float_compare(payment.amount, amount, precision_rounding=currency.rounding) != 0
                or float_compare(credit_note.amount_total, credit, precision_rounding=currency.rounding) != 0
            ):
                raise UserError(
                    "DRM_DUP_KEY: " + _("ledger entry %s is already registered as %s (%s %s via %s on %s)",
                                        ledger_ref, payment.name, payment.payment_type,
                                        wo._drmoto_money(payment.amount), payment.drmoto_channel,
                                        payment.drmoto_work_order_id.name or _("no work order"))
                )
            return wo._drmoto_refund_result(payment, credit_note, True)

        # 2. actor, 3. state
        actor = wo._drmoto_check_actor("register_refund")
        if wo.state == "cancelled":
            raise wo._drmoto_state_error("register_refund")

        # 4. the credit note (price reduction), the outbound payment, reconciled; log and audit rows
        env_wo = wo._drmoto_env(key)
        credit_note = env_wo.env["account.move"]
        if not currency.is_zero(credit):
            credit_note = env_wo._drmoto_make_refund_credit_note(credit, credit_ref, key)
        payment = env_wo._drmoto_post_payment("outbound", amount, currency, channel, ledger_ref, _("Refund %s", wo.name))
        result = wo._drmoto_refund_result(payment, credit_note, False)
        env_wo.env["drmoto.audit.log"]._drmoto_record(
            "refund", payment, after={"payment": payment.name, "amount": amount, "credit_amount": credit,
                                      "credit_note": credit_note.name or False, "channel": channel,
                                      "ledger_ref": ledger_ref}, work_order=wo,
        )
        wo._drmoto_log(
            "register_refund", "refund_registered", actor, key, wo.state, wo.state,
            "%s: -%s via %s%s" % (payment.name, wo._drmoto_money(amount), channel,
                                  ", %s: -%s" % (credit_note.name, wo._drmoto_money(credit)) if credit_note else ""),
            {k: v for k, v in result.items() if k != "replayed"},
        )
        return self._drmoto_ui(result)

    def _drmoto_post_payment(self, payment_type, amount, currency, channel, ledger_ref, ref):
        """ONE posted customer payment (inbound: money received, outbound: money returned) of the work order on the
        channel's journal, keyed by ``ledger_ref``, reconciled with its moves. ``self`` is the action environment's."""
        self.ensure_one()
        journal = self._drmoto_channel_journal(channel)
        method_line = (journal.inbound_payment_method_line_ids if payment_type == "inbound"
                       else journal.outbound_payment_method_line_ids)[:1]
        if not method_line:
            raise _validation(_("journal %s has no incoming payment method", journal.name) if payment_type == "inbound"
                              else _("journal %s has no outgoing payment method", journal.name))
        payment = self.env["account.payment"].with_company(self.company_id).with_context(
            mail_create_nosubscribe=True,
        ).create({
            "payment_type": payment_type,
            "partner_type": "customer",
            "partner_id": self.partner_id.id,
            "amount": amount,
            "currency_id": currency.id,
            "journal_id": journal.id,
            "payment_method_line_id": method_line.id,
            "date": fields.Date.context_today(self),
            PAYMENT_MEMO: ref,
            "drmoto_work_order_id": self.id,
            "drmoto_ledger_ref": ledger_ref,
            "drmoto_channel": channel,
        })
        payment.action_post()
        if not PAYMENT_INHERITS_MOVE:
            # 18+: the journal entry is made by action_post; it carries the work order like the 17 payment's move
            # (so drmoto_move_ids, the move guards and the per-shop unique ledger reference hold on every series)
            if not payment.move_id or payment.move_id.state != "posted":
                raise _validation(_("payment %s of %s has no posted journal entry", payment.name, self.name))
            payment.move_id.write({
                "drmoto_work_order_id": self.id, "drmoto_ledger_ref": ledger_ref, "drmoto_channel": channel,
            })
        self._drmoto_reconcile()
        return payment

    def _drmoto_make_refund_credit_note(self, credit, credit_ref, key):
        """ONE posted ``out_refund`` of exactly ``credit``: one line with the shop's default sale tax
        when it is price-included (the total stays exact), else untaxed. Runs in the action env."""
        self.ensure_one()
        currency = self.currency_id
        default_tax = self.company_id.account_sale_tax_id
        last_invoice = self.drmoto_move_ids.filtered(
            lambda m: m.state == "posted" and m.move_type == "out_invoice"
        ).sorted("id")[-1:]
        move = self.env["account.move"].with_company(self.company_id).with_context(
            default_move_type="out_refund", mail_create_nosubscribe=True,
        ).create({
            "move_type": "out_refund",
            "journal_id": self._drmoto_sale_journal().id,
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.id,
            "currency_id": currency.id,
            "invoice_date": fields.Date.context_today(self),
            "invoice_origin": self.name,
            "ref": _("%s refund", self.name),
            "reversed_entry_id": last_invoice.id or False,
            "drmoto_work_order_id": self.id,
            "drmoto_request_key": key,
            "drmoto_ledger_ref": credit_ref,
            "invoice_line_ids": [(0, 0, {
                "name": _("Refund %s", credit_ref[: -len(CREDIT_SUFFIX)]),
                "quantity": 1,
                "price_unit": credit,
                "tax_ids": [(6, 0, default_tax.ids if default_tax.price_include else [])],
                "drmoto_adjustment": True,
            })],
        })
        if float_compare(move.amount_total, credit, precision_rounding=currency.rounding) != 0:
            raise _validation(_("the refund credit note of %s would be %s, not %s", self.name,
                                self._drmoto_money(move.amount_total), self._drmoto_money(credit)))
        move.action_post()
        return move

    def _drmoto_refund_result(self, payment, credit_note, replayed):
        self.ensure_one()
        self.env.flush_all()
        self.invalidate_recordset(["amount_paid", "amount_due", "amount_refunded", "amount_credited", "amount_invoiced"])
        return {
            "id": self.id, "payment_id": payment.id, "credit_note_id": credit_note.id or False,
            "amount_paid": self._drmoto_clean(self.amount_paid),
            "amount_refunded": self._drmoto_clean(self.amount_refunded),
            "amount_credited": self._drmoto_clean(self.amount_credited),
            "amount_due": self._drmoto_clean(self.amount_due), "replayed": replayed,
        }

    def _drmoto_payment_result(self, payment, replayed):
        self.ensure_one()
        self.env.flush_all()
        self.invalidate_recordset(["amount_paid", "amount_due", "amount_refunded"])
        return {
            "id": self.id, "payment_id": payment.id, "amount_paid": self._drmoto_clean(self.amount_paid),
            "amount_due": self._drmoto_clean(self.amount_due), "replayed": replayed,
        }

    def _drmoto_channel_journal(self, channel):
        """The channel's journal of the shop (``WXP``/``STRP`` bank, ``CASH`` cash); created here when
        missing: ``account.journal.create`` gives it its liquidity account (the company's bank/cash
        prefix) and the manual payment methods, whose outstanding receipts account is the company's."""
        self.ensure_one()
        code, name, journal_type = CHANNEL_JOURNALS[channel]
        Journal = self.env["account.journal"].sudo().with_company(self.company_id)
        journal = Journal.with_context(active_test=False).search(
            [("company_id", "=", self.company_id.id), ("code", "=", code)], limit=1,
        )
        if journal:
            if journal.type not in ("bank", "cash") or not journal.active:
                raise _validation(_("journal %s of %s is not an active bank or cash journal", code,
                                    self.company_id.name))
            return journal
        if not outstanding_receipts_account(self.company_id):
            raise _validation(_("the shop %s has no chart of accounts (no outstanding receipts account)",
                                self.company_id.name))
        return Journal.create({
            "name": name, "code": code, "type": journal_type, "company_id": self.company_id.id,
        })

    # ------------------------------------------------------------------
    # web UI
    # ------------------------------------------------------------------

    def action_drmoto_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update({
            "domain": [("drmoto_work_order_id", "=", self.id), ("move_type", "in", SYNC_KINDS)],
            "context": {"create": False, "default_move_type": "out_invoice"},
        })
        return action

    def action_drmoto_view_payments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_account_payments")
        action.update({
            "domain": [("drmoto_work_order_id", "=", self.id)],
            "context": {"create": False},
        })
        return action
