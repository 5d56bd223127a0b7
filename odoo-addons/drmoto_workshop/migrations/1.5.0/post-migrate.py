"""1.4.0 -> 1.5.0, on the series the database now runs (README "Odoo versions", upgrading 17 -> 18).

The folder name has no series prefix: Odoo prefixes its own (``18.0.1.5.0`` on 18), so this runs once on
whichever series first loads 1.5.0 -- after Odoo's (or OpenUpgrade's) database upgrade, never instead of it.

- 18+: ``account.payment`` no longer shares its move's columns, so a payment registered on 17 has its work
  order, ledger reference and channel only on its journal entry: copy them to the payment's own columns.
- every series: the workshop groups' app and the superuser's Manager role moved from the data file to
  ``hooks.group_app`` (17/18 ``category_id``, 19+ a privilege), which an update does not call by itself.
"""
from odoo import SUPERUSER_ID, api

from odoo.addons.drmoto_workshop.hooks import group_app
from odoo.addons.drmoto_workshop.models.drmoto_compat import PAYMENT_INHERITS_MOVE


def migrate(cr, version):
    if not version:
        return
    if not PAYMENT_INHERITS_MOVE:
        cr.execute("""
            UPDATE account_payment p
               SET drmoto_work_order_id = m.drmoto_work_order_id,
                   drmoto_ledger_ref = m.drmoto_ledger_ref,
                   drmoto_channel = m.drmoto_channel
              FROM account_move m
             WHERE p.move_id = m.id AND m.drmoto_ledger_ref IS NOT NULL AND p.drmoto_ledger_ref IS NULL
        """)
    group_app(api.Environment(cr, SUPERUSER_ID, {}))
