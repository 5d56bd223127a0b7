from psycopg2 import IntegrityError

from odoo import Command
from odoo.service.model import _as_validation_error
from odoo.tests.common import TransactionCase
from odoo.tools import mute_logger


class DrmotoCase(TransactionCase):
    """Shop 1 and shop 2, one user per workshop role (groups set explicitly, so no
    'Contact Creation' from the default user template), and the customer Zhang San."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.company2 = cls.env["res.company"].create({"name": "DrMoto Shop 2"})
        cls.user_bff = cls._make_user("t_bff", "group_drmoto_integration", companies=cls.company | cls.company2)
        cls.user_advisor = cls._make_user("t_advisor", "group_drmoto_advisor")
        cls.user_technician = cls._make_user("t_technician", "group_drmoto_technician")
        cls.user_keeper = cls._make_user("t_keeper", "group_drmoto_keeper")
        cls.user_cashier = cls._make_user("t_cashier", "group_drmoto_cashier")
        cls.user_manager = cls._make_user("t_manager", "group_drmoto_manager")
        cls.user_plain = cls._make_user("t_plain", None)
        cls.customer = cls.env["res.partner"].create({
            "name": "Zhang San",
            "phone": "+86 138-0013-8000",
            "drmoto_is_customer": True,
            "customer_rank": 1,
        })
        cls.customer2 = cls.env["res.partner"].create({
            "name": "Li Si",
            "phone": "13900139000",
            "drmoto_is_customer": True,
            "customer_rank": 1,
        })

    @classmethod
    def _make_user(cls, login, group, companies=None):
        companies = companies or cls.company
        groups = cls.env.ref("base.group_user")
        if group:
            groups |= cls.env.ref("drmoto_workshop.%s" % group)
        return cls.env["res.users"].with_context(no_reset_password=True).create({
            "name": login.replace("t_", "Test ").title(),
            "login": login,
            "email": "%s@example.com" % login,
            "company_id": cls.company.id,
            "company_ids": [Command.set(companies.ids)],
            "groups_id": [Command.set(groups.ids)],
        })

    def as_bff(self, model, actor=None):
        """``model`` as the integration user, acting for ``actor`` (a drmoto_actor dict)."""
        env = self.env(user=self.user_bff)
        if actor is not None:
            env = env(context=dict(env.context, drmoto_actor=actor))
        return env[model]

    def assertDrmCode(self, exc_cm, code):
        self.assertTrue(
            str(exc_cm.exception).startswith(code + ":"),
            "expected %s, got %r" % (code, str(exc_cm.exception)),
        )

    def assertUniqueViolation(self, func, code):
        """``func`` violates a table constraint; Odoo's RPC layer turns it into
        'The operation cannot be completed: <code>: ...' (odoo.service.model)."""
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError) as cm:
            with self.cr.savepoint():
                func()
                self.env.flush_all()
        message = str(_as_validation_error(self.env, cm.exception))
        self.assertTrue(
            message.startswith("The operation cannot be completed: %s:" % code),
            "unexpected fault message %r" % message,
        )
        return message
