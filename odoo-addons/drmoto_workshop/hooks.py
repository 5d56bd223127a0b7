"""Install hook: what the data files can't say once for every series (README "Odoo versions")."""
from odoo import Command

from .models.drmoto_compat import USER_GROUPS

ROLE_GROUPS = (
    "group_drmoto_user", "group_drmoto_technician", "group_drmoto_advisor", "group_drmoto_keeper",
    "group_drmoto_cashier", "group_drmoto_manager", "group_drmoto_integration",
)


def post_init_hook(env):
    group_app(env)
    # work order invoices equal their quotes to the cent only with per-line tax rounding (19's default is per tax)
    env["res.company"].search([("tax_calculation_rounding_method", "!=", "round_per_line")]).write(
        {"tax_calculation_rounding_method": "round_per_line"})


def group_app(env):
    """The workshop groups under the "Workshop" app in the user form (17/18: ``res.groups.category_id``; 19+:
    a ``res.groups.privilege`` of that category), and the superuser a manager. Idempotent."""
    category = env.ref("drmoto_workshop.module_category_drmoto_workshop")
    groups = env["res.groups"].browse([env.ref("drmoto_workshop.%s" % xmlid).id for xmlid in ROLE_GROUPS])
    if "privilege_id" in env["res.groups"]._fields:
        Privilege = env["res.groups.privilege"]
        privilege = Privilege.search([("category_id", "=", category.id)], limit=1) or Privilege.create({
            "name": category.name, "category_id": category.id,
        })
        groups.write({"privilege_id": privilege.id})
    else:
        groups.write({"category_id": category.id})
    env.ref("base.user_root").write({USER_GROUPS: [Command.link(env.ref("drmoto_workshop.group_drmoto_manager").id)]})
