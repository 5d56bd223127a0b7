# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "DrMoto Workshop",
    "summary": "Workshop customers, vehicles and WeChat identities for the DrMoto BFF",
    "version": "17.0.1.0.0",
    "category": "Services/Workshop",
    "website": "https://github.com/drmoto/drmoto-bff",
    "author": "DrMoto",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["contacts", "stock", "account", "mail"],
    "data": [
        "security/drmoto_security.xml",
        "security/ir.model.access.csv",
        "security/drmoto_rules.xml",
        "views/res_company_views.xml",
        "views/res_partner_views.xml",
        "views/drmoto_vehicle_views.xml",
        "views/drmoto_wechat_identity_views.xml",
        "views/drmoto_menus.xml",
    ],
}
