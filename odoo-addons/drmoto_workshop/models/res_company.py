from odoo import fields, models

from odoo.addons.base.models.res_partner import _tz_get


class ResCompany(models.Model):
    _inherit = "res.company"

    drmoto_tz = fields.Selection(
        _tz_get,
        string="Shop time zone",
        default="Asia/Shanghai",
        required=True,
        help="Time zone of the shop: every 'by day' figure (reports, ledger) uses it.",
    )
