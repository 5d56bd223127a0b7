from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import WorkOrderCase

SYNC_KEYS = {"id", "invoice_ids", "amount_invoiced", "target", "replayed"}


@tagged("post_install", "-at_install")
class TestDrmotoInvoiceSync(WorkOrderCase):
    """action_sync_invoices: the net invoiced amount follows latest confirmed total - refunded,
    to the cent, with price-included and price-excluded taxes."""

    drmoto_chart = True

    def moves(self, wo):
        self.env.invalidate_all()
        return self.env["account.move"].search([("drmoto_work_order_id", "=", wo.id)], order="id")

    def new_version(self, wo, lines):
        """A new confirmed version while the work order is in progress."""
        self.act(wo, "action_create_quote", self.staff_advisor, lines)
        self.act(wo, "action_send_quote", self.staff_advisor, wo.current_quote_id.version)
        self.act(wo, "action_confirm_quote", self.as_customer, wo.current_quote_id.version)
        wo.invalidate_recordset()
        return wo.confirmed_quote_id

    def awkward_lines(self, tax):
        """Prices, quantities and discounts whose taxes round on every line."""
        return [
            self.labor(99.99, qty=3, discount=7.0, tax_ids=tax.ids),
            self.part(self.pads, qty=7, price=33.33, tax_ids=tax.ids),
            self.part(self.oil, qty=1.5, price=85.0, discount=12.5, tax_ids=tax.ids),
            self.labor(0.07, description="Shop supplies", qty=3, tax_ids=tax.ids),
        ]

    def assertExact(self, move, quote):
        self.assertEqual(
            (move.amount_untaxed, move.amount_tax, move.amount_total),
            (quote.amount_untaxed, quote.amount_tax, quote.amount_total),
        )

    def test_first_sync_replicates_the_version_tax_included(self):
        wo = self.to_state("in_progress", lines=self.awkward_lines(self.tax_incl))
        quote = wo.confirmed_quote_id
        result = self.sync(wo)
        self.assertEqual(set(result), SYNC_KEYS)
        move = self.moves(wo)
        self.assertEqual(len(move), 1)
        self.assertEqual(result["invoice_ids"], move.ids)
        self.assertEqual((move.move_type, move.state), ("out_invoice", "posted"))
        self.assertEqual((move.journal_id.type, move.partner_id, move.currency_id), ("sale", self.customer, wo.currency_id))
        self.assertEqual((move.drmoto_quote_id, move.invoice_origin, move.ref), (quote, wo.name, "%s v1" % wo.name))
        self.assertExact(move, quote)
        self.assertEqual(
            [(l.product_id, l.name, l.quantity, l.price_unit, l.discount, l.tax_ids) for l in move.invoice_line_ids],
            [(l.product_id, l.description, l.qty, l.price_unit, l.discount, l.tax_ids) for l in quote.line_ids],
        )
        self.assertEqual(
            [l.price_total for l in move.invoice_line_ids], [l.price_total for l in quote.line_ids],
        )
        self.assertEqual((result["amount_invoiced"], result["target"], result["replayed"]),
                         (quote.amount_total, quote.amount_total, False))
        self.assertEqual(wo.amount_invoiced, wo.amount_total)
        log = wo.status_log_ids.sorted("id")[-1]
        self.assertEqual((log.event, log.action, log.actor_kind, log.revision), ("invoices_synced", "sync_invoices",
                                                                                   "system", wo.revision))
        self.assertIn(move.name, log.note)

    def test_first_sync_tax_excluded_and_mixed(self):
        for taxes in (self.tax_excl, self.company.account_sale_tax_id | self.tax_excl):
            for tax in taxes:
                with self.subTest(tax=tax.name):
                    wo = self.to_state("in_progress", lines=self.awkward_lines(tax))
                    self.sync(wo)
                    self.assertExact(self.moves(wo), wo.confirmed_quote_id)
        # the chart's own default sale tax (15 % excluded in generic_coa), a product without taxes
        chart_tax = self.env["account.tax"].search([
            ("company_id", "=", self.company.id), ("type_tax_use", "=", "sale"), ("amount", "=", 15.0),
            ("id", "!=", self.tax_excl.id),
        ], limit=1)
        self.assertTrue(chart_tax)
        lines = self.awkward_lines(chart_tax) + [self.part(self.oil, qty=3, price=19.99, tax_ids=[])]
        wo = self.to_state("in_progress", lines=lines)
        self.sync(wo)
        self.assertExact(self.moves(wo), wo.confirmed_quote_id)
        self.assertEqual(wo.amount_invoiced, wo.amount_total)

    def test_second_sync_changes_nothing(self):
        wo = self.to_state("in_progress", lines=self.awkward_lines(self.tax_excl))
        first = self.sync(wo, key="sync-1")
        logs, revision = len(wo.status_log_ids), wo.revision
        again = self.sync(wo)
        self.assertEqual(again, {"id": wo.id, "invoice_ids": [], "amount_invoiced": wo.amount_total,
                                 "target": wo.amount_total, "replayed": False})
        self.assertEqual(len(self.moves(wo)), 1)
        self.assertEqual((len(wo.status_log_ids), wo.revision), (logs, revision))
        # the key of the first call replays its result
        self.assertEqual(self.sync(wo, key="sync-1"), dict(first, replayed=True))
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_mark_ready", self.staff_technician, key="sync-1")
        self.assertDrmCode(cm, "DRM_DUP_KEY")

    def test_nothing_to_invoice_before_a_confirmed_version(self):
        wo = self.to_state("quoted", lines=[self.labor(50.0)])
        result = self.sync(wo)
        self.assertEqual((result["invoice_ids"], result["target"], result["amount_invoiced"]), ([], 0.0, 0.0))
        self.assertFalse(self.moves(wo))

    def test_increase_posts_one_supplementary_invoice(self):
        for tax in (self.tax_incl, self.tax_excl):
            with self.subTest(tax=tax.name):
                v1 = self.awkward_lines(tax)
                wo = self.to_state("in_progress", lines=v1)
                self.sync(wo)
                # v2: one line more, one line repriced, the others unchanged
                v2 = [v1[0], self.part(self.pads, qty=7, price=35.55, tax_ids=tax.ids), v1[2], v1[3],
                      self.labor(12.34, description="Extra work", qty=1.5, tax_ids=tax.ids)]
                quote = self.new_version(wo, v2)
                result = self.sync(wo)
                moves = self.moves(wo)
                self.assertEqual(len(moves), 2)
                supplement = moves[-1]
                self.assertEqual(result["invoice_ids"], supplement.ids)
                self.assertEqual((supplement.move_type, supplement.state, supplement.drmoto_quote_id),
                                 ("out_invoice", "posted", quote))
                # only the difference: the old pads line credited, the new pads line and the extra line
                self.assertEqual(
                    sorted((l.name, l.quantity, l.price_unit) for l in supplement.invoice_line_ids),
                    sorted([(self.pads.name, -7.0, 33.33), (self.pads.name, 7.0, 35.55), ("Extra work", 1.5, 12.34)]),
                )
                self.assertEqual(wo.amount_invoiced, quote.amount_total)
                self.assertEqual(result["amount_invoiced"], quote.amount_total)
                self.assertEqual(
                    sum(moves.mapped("amount_tax")), quote.amount_tax, "the taxes add up as on the quote too",
                )
                self.assertFalse(self.sync(wo)["invoice_ids"])

    def test_decrease_posts_one_credit_note(self):
        for tax in (self.tax_incl, self.tax_excl):
            with self.subTest(tax=tax.name):
                v1 = self.awkward_lines(tax)
                wo = self.to_state("in_progress", lines=v1)
                self.sync(wo)
                invoice = self.moves(wo)
                quote = self.new_version(wo, [v1[0], v1[2]])
                result = self.sync(wo)
                moves = self.moves(wo)
                self.assertEqual(len(moves), 2)
                credit = moves[-1]
                self.assertEqual(result["invoice_ids"], credit.ids)
                self.assertEqual((credit.move_type, credit.state, credit.reversed_entry_id), ("out_refund", "posted",
                                                                                            invoice))
                self.assertEqual(sorted(credit.invoice_line_ids.mapped("name")), sorted(["Shop supplies",
                                                                                         self.pads.name]))
                self.assertTrue(all(l.quantity > 0 for l in credit.invoice_line_ids))
                self.assertEqual(wo.amount_invoiced, quote.amount_total)
                self.assertAlmostEqual(invoice.amount_total - credit.amount_total, quote.amount_total, places=6)
                # the credit note settles part of the open invoice
                self.assertEqual(invoice.amount_residual, quote.amount_total)
                self.assertEqual(credit.payment_state, "paid" if credit.amount_residual == 0 else "partial")
                # back up again: a supplementary invoice re-invoices the credited lines
                self.new_version(wo, v1)
                self.sync(wo)
                self.assertEqual(self.moves(wo)[-1].move_type, "out_invoice")
                self.assertEqual(wo.amount_invoiced, wo.amount_total)

    def test_down_to_zero_and_a_changed_label_alone_changes_nothing(self):
        wo = self.to_state("in_progress", lines=[self.labor(40.0, tax_ids=self.tax_excl.ids)])
        self.sync(wo)
        self.new_version(wo, [self.labor(40.0, description="Labour (renamed)", tax_ids=self.tax_excl.ids)])
        self.assertFalse(self.sync(wo)["invoice_ids"], "same amount: nothing to do")
        self.new_version(wo, [self.labor(0.0, tax_ids=self.tax_excl.ids)])
        result = self.sync(wo)
        self.assertEqual((result["amount_invoiced"], result["target"]), (0.0, 0.0))
        self.assertEqual(self.moves(wo)[-1].move_type, "out_refund")

    def test_cancel_credits_what_was_invoiced(self):
        wo = self.to_state("in_progress", lines=self.awkward_lines(self.tax_incl))
        self.sync(wo)
        result = self.act(wo, "action_cancel", self.staff_advisor, "customer took the vehicle away", key="cancel-1")
        self.assertEqual(result["state"], "cancelled")
        credit = self.moves(wo)[-1]
        self.assertEqual((credit.move_type, credit.state, credit.drmoto_request_key), ("out_refund", "posted",
                                                                                     "cancel-1/invoices"))
        self.assertEqual(wo.amount_invoiced, 0.0)
        with self.assertRaises(UserError) as cm:
            self.sync(wo)
        self.assertDrmCode(cm, "DRM_WO_STATE")

    def test_invoice_date_and_accounts(self):
        wo = self.to_state("in_progress", lines=[self.labor(10.0), self.part(self.pads)])
        move = self.env["account.move"].browse(self.sync(wo)["invoice_ids"])
        self.assertTrue(move.invoice_date)
        self.assertTrue(all(l.account_id.account_type == "income" for l in move.invoice_line_ids))
        receivable = move.line_ids.filtered(lambda l: l.account_id.account_type == "asset_receivable")
        self.assertEqual(receivable.balance, move.amount_total)
