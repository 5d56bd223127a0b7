#!/usr/bin/env python3
"""Create the DrMoto users (and the demo customer) on a real Odoo (17, 18, 19+) with drmoto_workshop installed.

Idempotent, XML-RPC only, standard library only:

    ODOO_URL=http://127.0.0.1:8069 ODOO_DB=drmoto ODOO_ADMIN_PASSWORD=admin scripts/odoo-setup-users.py

Users (login / password -> workshop group): bff / bff -> integration; advisor, technician, keeper,
cashier, manager / demo -> their role (keeper also Inventory / User, as in the mock). Groups are SET
(internal user + those groups), so the default "Contact Creation" group is not granted to the read-only
roles. Pass --users-only to skip the demo customer "Zhang San" (13800138000), the vehicle 粤B12345 and the
demo parts: storable products with list prices (the mock's seed). Every run tops each stocked part up to
max(its seed quantity, MIN_STOCK=50) on hand in the company's first warehouse (never lowers it), so repeated
contract runs, which issue parts, don't run dry; the air filter (seed 0) stays the out-of-stock part.
"""
import os
import sys
import xmlrpc.client

URL = os.environ.get("ODOO_URL", "http://127.0.0.1:8069").rstrip("/")
DB = os.environ.get("ODOO_DB", "drmoto")
ADMIN_LOGIN = os.environ.get("ODOO_ADMIN_LOGIN", "admin")
ADMIN_PASSWORD = os.environ.get("ODOO_ADMIN_PASSWORD", "admin")

USERS = [
    # login, password, name, workshop group xml id, other groups (as in mocks/odoo/seed.ts)
    ("bff", "bff", "DrMoto BFF", "group_drmoto_integration", ()),
    ("advisor", "demo", "Service Advisor", "group_drmoto_advisor", ()),
    ("technician", "demo", "Technician", "group_drmoto_technician", ()),
    ("keeper", "demo", "Warehouse Keeper", "group_drmoto_keeper", (("stock", "group_stock_user"),)),
    ("cashier", "demo", "Cashier", "group_drmoto_cashier", ()),
    ("manager", "demo", "Workshop Manager", "group_drmoto_manager", ()),
]

# mocks/odoo/seed.ts SEED_PRODUCTS: default_code, name, list_price, standard_price, quantity on hand, unit
# (the contract suite issues parts on every run: stocked parts are topped up to at least MIN_STOCK)
MIN_STOCK = int(os.environ.get("DRMOTO_MIN_STOCK", "50"))
# failed logins per source address before Odoo's cooldown (Odoo's default 5; see the README, Login limits)
LOGIN_COOLDOWN_AFTER = int(os.environ.get("DRMOTO_LOGIN_COOLDOWN_AFTER", "10"))
PRODUCTS = [
    ("BP-F01", "Front brake pads (pair)", 180.0, 95.0, 24, None),
    ("OIL-1L", "Engine oil 10W-40 1L", 85.0, 42.0, 60, ("uom", "product_uom_litre")),
    ("OF-001", "Oil filter", 45.0, 18.0, 30, None),
    ("SP-001", "Spark plug", 38.0, 15.0, 40, None),
    ("CK-520", "Chain kit 520", 560.0, 320.0, 6, None),
    ("AF-001", "Air filter", 65.0, 28.0, 0, None),
]


def main(argv):
    common = xmlrpc.client.ServerProxy(URL + "/xmlrpc/2/common")
    models = xmlrpc.client.ServerProxy(URL + "/xmlrpc/2/object", allow_none=True)
    uid = common.authenticate(DB, ADMIN_LOGIN, ADMIN_PASSWORD, {})
    if not uid:
        sys.exit("odoo-setup-users: cannot authenticate %s on %s/%s" % (ADMIN_LOGIN, URL, DB))

    def call(model, method, *args, **kwargs):
        return models.execute_kw(DB, uid, ADMIN_PASSWORD, model, method, list(args), kwargs)

    def ref(module, name):
        rows = call("ir.model.data", "search_read",
                    [("module", "=", module), ("name", "=", name)], fields=["res_id"], limit=1)
        if not rows:
            sys.exit("odoo-setup-users: %s.%s not found (is drmoto_workshop installed?)" % (module, name))
        return rows[0]["res_id"]

    # the names that differ per series, from the database itself (README "Odoo versions")
    user_fields = call("res.users", "fields_get", [], attributes=["type"])
    groups_field = "group_ids" if "group_ids" in user_fields else "groups_id"  # 19 renamed it
    product_fields = call("product.product", "fields_get", [], attributes=["type"])
    # a storable product: 17 detailed_type 'product'; 18+ type 'consu' + is_storable
    storable = {"is_storable": True, "type": "consu"} if "is_storable" in product_fields else {"detailed_type": "product"}

    internal = ref("base", "group_user")
    company_id = call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    for login, password, name, group, extra in USERS:
        vals = {
            "name": name,
            "password": password,
            "company_id": company_id,
            "company_ids": [(6, 0, [company_id])],
            groups_field: [(6, 0, [internal, ref("drmoto_workshop", group)] + [ref(*xmlid) for xmlid in extra])],
            "active": True,
        }
        found = call("res.users", "search", [("login", "=", login)], context={"active_test": False})
        if found:
            call("res.users", "write", found, vals)
            print("updated %-10s uid=%s" % (login, found[0]))
        else:
            vals["login"] = login
            new_uid = call("res.users", "create", vals, context={"no_reset_password": True})
            print("created %-10s uid=%s" % (login, new_uid))

    # Odoo's login cooldown counts failures per source address. The BFF forwards each staff login's client address
    # (ODOO_FORWARD_CLIENT_IP; Odoo runs with proxy_mode) and already stops one login from one address after
    # RATE_LIMIT_LOGIN_FAILURES (5) wrong passwords: Odoo's limit, above that, only catches one address trying many
    # logins, so one person's typos never lock out the colleagues behind the same shop router.
    call("ir.config_parameter", "set_param", "base.login_cooldown_after", str(LOGIN_COOLDOWN_AFTER))
    print("base.login_cooldown_after = %s" % LOGIN_COOLDOWN_AFTER)

    if "--users-only" in argv:
        return
    bff_uid = common.authenticate(DB, "bff", "bff", {})

    def bff(model, method, *args, **kwargs):
        return models.execute_kw(DB, bff_uid, "bff", model, method, list(args), kwargs)

    customer = bff("res.partner", "drmoto_upsert_customer", {"name": "Zhang San", "phone": "13800138000"})
    print("customer Zhang San id=%(id)s created=%(created)s" % customer)
    if not bff("drmoto.vehicle", "search", [("plate_normalized", "=", "粤B12345"), ("company_id", "=", company_id)],
               context={"active_test": False}):
        vehicle_id = bff("drmoto.vehicle", "create",
                         {"plate_no": "粤B12345", "partner_id": customer["id"], "company_id": company_id})
        print("vehicle 粤B12345 id=%s" % vehicle_id)

    # parts with stock: as admin (stock manager); the quantity is topped up, never lowered
    for code, name, list_price, cost, seed_qty, uom in PRODUCTS:
        qty = max(seed_qty, MIN_STOCK) if seed_qty else 0
        found = call("product.product", "search_read", [("default_code", "=", code)],
                     fields=["id", "product_tmpl_id", "qty_available"], context={"active_test": False})
        if found:
            product = found[0]
            call("product.product", "write", [product["id"]], {"active": True, "list_price": list_price})
            template_id = product["product_tmpl_id"][0]
            on_hand = product["qty_available"]
            state = "kept"
        else:
            # storable; taxes_id defaults to the company's sale tax
            vals = dict(storable, name=name, default_code=code, list_price=list_price, standard_price=cost)
            if uom:
                vals["uom_id"] = vals["uom_po_id"] = ref(*uom)
            product_id = call("product.product", "create", vals)
            template_id = call("product.product", "read", [product_id], ["product_tmpl_id"])[0]["product_tmpl_id"][0]
            product = {"id": product_id}
            on_hand = 0.0
            state = "created"
        if qty and on_hand < qty:
            # the wizard applies an inventory adjustment in the company's first warehouse (WH/Stock)
            wizard_id = call("stock.change.product.qty", "create", {
                "product_id": product["id"], "product_tmpl_id": template_id, "new_quantity": qty,
            })
            call("stock.change.product.qty", "change_product_qty", [wizard_id])
            on_hand = qty
        print("product %-7s id=%s %s, on hand %s" % (code, product["id"], state, on_hand))


if __name__ == "__main__":
    main(sys.argv[1:])
