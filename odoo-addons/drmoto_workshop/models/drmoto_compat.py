"""What differs between the Odoo series this addon runs on, in one place (README "Odoo versions").

The addon is one source tree; these names are decided once, at import, from ``odoo.release``. Everything
else is written in the form every supported series accepts (``scripts/odoo-addon-check`` enforces it).

- 17: ``account.payment`` ``_inherits`` its ``account.move`` (the payment's fields are its move's); states
  ``draft/posted/cancel``; the memo is ``ref``; a storable product is ``detailed_type='product'``.
- 18+: ``account.payment`` is its own table; its journal entry exists once it is posted; states
  ``draft/in_process/paid/canceled/rejected``; the memo is ``memo``; storable = ``type='consu'`` + ``is_storable``.
- 19+: ``res.users.groups_id`` is ``group_ids``; SQL constraints are ``models.Constraint`` attributes
  (``@sql_constraints``); a group's app is its ``privilege_id`` (``res.groups.privilege``), not ``category_id``.
"""
from odoo import models, release

SERIES = release.version_info[0]

#: account.payment is an ``_inherits`` of account.move (fields set on the payment live on its move)
PAYMENT_INHERITS_MOVE = SERIES < 18
#: the payment's free-text memo
PAYMENT_MEMO = "ref" if SERIES < 18 else "memo"
#: a stock move's description (19 dropped ``stock.move.name`` for ``description_picking``)
MOVE_DESCRIPTION = "name" if SERIES < 19 else "description_picking"
#: res.users' groups
USER_GROUPS = "groups_id" if SERIES < 19 else "group_ids"
#: 19 declares SQL constraints as ``models.Constraint`` class attributes and ignores ``_sql_constraints``
MODEL_CONSTRAINTS = hasattr(models, "Constraint")


def sql_constraints(cls):
    """Class decorator: the class's ``_sql_constraints`` on every series. On 19+ each ``(name, definition,
    message)`` becomes the attribute ``_<name> = models.Constraint(definition, message)`` -- what the class body
    would have declared (``__set_name__`` registers it, as at class creation) -- so the database constraint keeps
    its name ``<table>_<name>`` across an upgrade, and the list 19 would warn about is removed."""
    specs = cls.__dict__.get("_sql_constraints")
    if MODEL_CONSTRAINTS and specs is not None:
        for name, definition, message in specs:
            constraint = models.Constraint(definition, message)
            setattr(cls, "_" + name, constraint)
            constraint.__set_name__(cls, "_" + name)
        delattr(cls, "_sql_constraints")
    return cls


def payment_posted(payment):
    """A posted payment, on every series: its journal entry is posted (18 has one only once posted)."""
    return payment.move_id.state == "posted"


def is_storable(product):
    return product.is_storable if SERIES >= 18 else product.type == "product"


def product_type_vals(kind):
    """``product.product`` values of a product of 17's ``detailed_type`` ``kind`` (product = storable, consu, service)."""
    if SERIES < 18:
        return {"detailed_type": kind}
    return {"type": "consu", "is_storable": True} if kind == "product" else {"type": kind}


def payment_state(payment):
    """The payment's state in 17's words: ``posted`` for 18's ``in_process``/``paid`` (its entry is posted)."""
    return "posted" if payment_posted(payment) else payment.state


def rpc_read_group(records, domain, fields, groupby, **kwargs):
    """The public ``read_group`` the BFF's reports call over RPC (tests replay that call). 19 deprecates it in
    favour of ``formatted_read_group`` (not in 17/18); the BFF moves with its transport (README "Odoo versions")."""
    return records.read_group(domain, fields, groupby, **kwargs)


def outstanding_receipts_account(company):
    """The account a customer payment's journal entry debits before reconciliation (none: no chart of accounts).
    17 keeps it on the company; 18 looks it up in the chart (or the transfer account), as account.payment does."""
    if SERIES < 18:
        return company.account_journal_payment_debit_account_id
    chart = company.env["account.chart.template"].with_context(allowed_company_ids=company.root_id.ids)
    return chart.ref("account_journal_payment_debit_account_id", raise_if_not_found=False) or company.transfer_account_id


def tax_price_include_vals(included):
    """``account.tax`` values of a price-included (or excluded) tax: 18 made ``price_include`` a computed field
    of ``price_include_override``."""
    if SERIES < 18:
        return {"price_include": included}
    return {"price_include_override": "tax_included" if included else "tax_excluded"}


def check_model_access(records, operation):
    """The model's access rights (ACL) for ``operation``: 18 deprecates ``check_access_rights``; its
    ``check_access`` on no record checks the ACL alone."""
    if SERIES < 18:
        records.check_access_rights(operation)
    else:
        records.browse().check_access(operation)


def check_access(records, operation):
    """ACL and record rules of ``records`` for ``operation`` (18: ``check_access``)."""
    if SERIES < 18:
        records.check_access_rights(operation)
        records.check_access_rule(operation)
    else:
        records.check_access(operation)


def integrity_error_message(env, exc):
    """The message Odoo's RPC layer answers for a constraint violation (``exc``, a psycopg2 IntegrityError):
    'The operation cannot be completed: <the constraint's message>'. 17/18 build it in
    ``odoo.service.model._as_validation_error``; 19 inlines it in ``retrying`` with ``_sql_error_to_message``."""
    if SERIES < 19:
        from odoo.service.model import _as_validation_error
        return str(_as_validation_error(env, exc))
    model = env["base"]
    for rclass in env.registry.values():
        if exc.diag.table_name == rclass._table:
            model = env[rclass._name]
            break
    return env._("The operation cannot be completed: %s", model._sql_error_to_message(exc))
