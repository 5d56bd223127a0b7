from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..models.drmoto_normalize import normalize_phone
from .common import DrmotoCase


@tagged("post_install", "-at_install")
class TestResPartner(DrmotoCase):
    # ---------------------------------------------------------- normalization

    def test_normalize_phone_table(self):
        table = [
            ("13800138000", "13800138000"),
            ("138 0013 8000", "13800138000"),
            ("138-0013-8000", "13800138000"),
            ("+86 138-0013-8000", "13800138000"),
            ("+8613800138000", "13800138000"),
            ("0086 13800138000", "13800138000"),
            ("8613800138000", "13800138000"),
            ("(+86) 138 0013 8000", "13800138000"),
            ("１３８００１３８０００", "13800138000"),  # full-width digits
            ("+1 (415) 555-2671", "+14155552671"),
            ("0044 20 7946 0958", "+442079460958"),
            ("+852 6123 4567", "+85261234567"),
        ]
        for raw, expected in table:
            with self.subTest(raw=raw):
                self.assertEqual(normalize_phone(raw), expected)

    def test_normalize_phone_rejects(self):
        for raw in (None, False, "", "   ", "abc", "12345", "12800138000", "1380013800", "138001380001",
                    "+0123456789", "+1234567890123456", "021-12345678", "+86 21 1234 5678",
                    "١٣٨٠٠١٣٨٠٠٠"):  # Arabic-Indic digits are not phone digits here
            with self.subTest(raw=raw):
                self.assertIsNone(normalize_phone(raw))

    def test_phone_normalized_is_computed_and_stored(self):
        self.assertEqual(self.customer.drmoto_phone_normalized, "13800138000")
        self.customer.phone = "0086 139 0000 0001"
        self.assertEqual(self.customer.drmoto_phone_normalized, "13900000001")
        self.env.flush_all()
        self.env.cr.execute("SELECT drmoto_phone_normalized FROM res_partner WHERE id = %s", [self.customer.id])
        self.assertEqual(self.env.cr.fetchone()[0], "13900000001")

    def test_invalid_phone_on_customer_raises(self):
        with self.assertRaises(ValidationError) as cm:
            self.env["res.partner"].create({"name": "Bad", "phone": "12345", "drmoto_is_customer": True})
        self.assertDrmCode(cm, "DRM_PHONE_INVALID")

    def test_invalid_phone_on_other_partner_is_allowed(self):
        supplier = self.env["res.partner"].create({"name": "Parts Ltd", "phone": "021-12345678"})
        self.assertFalse(supplier.drmoto_phone_normalized)

    # ---------------------------------------------------------- uniqueness

    def test_exclusion_constraint_exists(self):
        self.env.cr.execute(
            """SELECT contype, pg_get_constraintdef(c.oid) FROM pg_constraint c
               JOIN pg_class t ON t.oid = c.conrelid
               WHERE t.relname = 'res_partner' AND c.conname = 'res_partner_drmoto_phone_customer_uniq'"""
        )
        contype, definition = self.env.cr.fetchone()
        self.assertEqual(contype, "x")
        self.assertIn("WHERE", definition)

    def test_duplicate_phone_among_customers_is_refused(self):
        message = self.assertUniqueViolation(
            lambda: self.env["res.partner"].create({
                "name": "Zhang San bis", "phone": "13800138000", "drmoto_is_customer": True,
            }),
            "DRM_DUP_PHONE",
        )
        self.assertIn("another customer already has this phone number", message)

    def test_duplicate_phone_by_write_is_refused(self):
        self.assertUniqueViolation(
            lambda: self.customer2.write({"phone": "138 0013 8000"}), "DRM_DUP_PHONE"
        )

    def test_same_phone_on_non_customers_is_allowed(self):
        Partner = self.env["res.partner"]
        Partner.create({"name": "Zhang San (supplier)", "phone": "13800138000"})
        Partner.create({"name": "Zhang San (employee)", "phone": "+8613800138000"})
        self.env.flush_all()

    def test_archived_customer_does_not_block(self):
        self.customer.active = False
        twin = self.env["res.partner"].create({
            "name": "Zhang San new", "phone": "13800138000", "drmoto_is_customer": True,
        })
        self.env.flush_all()
        self.assertEqual(twin.drmoto_phone_normalized, "13800138000")
        # and the archived one can't come back while the new one is active
        self.assertUniqueViolation(lambda: self.customer.write({"active": True}), "DRM_DUP_PHONE")

    # ---------------------------------------------------------- upsert

    def test_upsert_creates_a_customer(self):
        result = self.as_bff("res.partner").drmoto_upsert_customer({
            "name": "Wang Wu", "phone": "+86 137 0000 0001", "email": "ww@example.com",
        })
        self.assertEqual(set(result), {"id", "created"})
        self.assertTrue(result["created"])
        partner = self.env["res.partner"].browse(result["id"])
        self.assertTrue(partner.drmoto_is_customer)
        self.assertEqual(partner.customer_rank, 1)
        self.assertEqual(partner.drmoto_phone_normalized, "13700000001")
        self.assertEqual(partner.email, "ww@example.com")

    def test_upsert_returns_the_existing_customer_and_never_a_second_one(self):
        Partner = self.as_bff("res.partner")
        for phone in ("13800138000", "0086 138 0013 8000", "+86-138-0013-8000"):
            result = Partner.drmoto_upsert_customer({"name": "Someone Else", "phone": phone})
            self.assertEqual(result, {"id": self.customer.id, "created": False})
        self.assertEqual(self.customer.name, "Zhang San")
        self.assertEqual(
            self.env["res.partner"].search_count([("drmoto_phone_normalized", "=", "13800138000")]), 1
        )

    def test_upsert_fills_only_empty_fields(self):
        self.customer.city = "Shenzhen"
        self.as_bff("res.partner").drmoto_upsert_customer({
            "name": "Other", "phone": "13800138000", "city": "Guangzhou", "email": "zs@example.com",
        })
        self.assertEqual(self.customer.city, "Shenzhen")
        self.assertEqual(self.customer.email, "zs@example.com")
        self.assertEqual(self.customer.name, "Zhang San")

    def test_upsert_refuses_bad_input(self):
        Partner = self.as_bff("res.partner")
        with self.assertRaises(UserError) as cm:
            Partner.drmoto_upsert_customer({"name": "X", "phone": "12345"})
        self.assertDrmCode(cm, "DRM_PHONE_INVALID")
        with self.assertRaises(UserError) as cm:
            Partner.drmoto_upsert_customer({"name": "X", "phone": "13700000002", "vat": "1"})
        self.assertDrmCode(cm, "DRM_VALIDATION")
        with self.assertRaises(UserError) as cm:
            Partner.drmoto_upsert_customer({"name": "  ", "phone": "13700000002"})
        self.assertDrmCode(cm, "DRM_VALIDATION")

    # ---------------------------------------------------------- access and actors

    def test_advisor_creates_customers_technician_does_not(self):
        result = self.env["res.partner"].with_user(self.user_advisor).drmoto_upsert_customer(
            {"name": "Zhao Liu", "phone": "13700000003"}
        )
        self.assertTrue(result["created"])
        for user in (self.user_technician, self.user_keeper, self.user_cashier):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["res.partner"].with_user(user).drmoto_upsert_customer(
                    {"name": "Zhao Liu", "phone": "13700000004"}
                )

    def test_staff_roles_can_read_customers(self):
        for user in (self.user_technician, self.user_keeper, self.user_cashier):
            with self.subTest(user=user.login):
                rows = self.env["res.partner"].with_user(user).search_read(
                    [("drmoto_is_customer", "=", True)], ["name", "drmoto_phone_normalized"]
                )
                self.assertIn(self.customer.id, [row["id"] for row in rows])

    def test_delegated_staff_actor_needs_the_advisor_role(self):
        Partner = self.as_bff("res.partner", {"kind": "staff", "uid": self.user_technician.id})
        with self.assertRaises(AccessError) as cm:
            Partner.drmoto_upsert_customer({"name": "Zhao Liu", "phone": "13700000005"})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        with self.assertRaises(AccessError):
            Partner.browse(self.customer.id).write({"city": "Foshan"})
        Partner = self.as_bff("res.partner", {"kind": "staff", "uid": self.user_advisor.id})
        self.assertTrue(Partner.drmoto_upsert_customer({"name": "Zhao Liu", "phone": "13700000005"})["created"])

    def test_customer_actor_writes_only_their_own_partner(self):
        Partner = self.as_bff("res.partner", {"kind": "customer", "partner_id": self.customer.id})
        Partner.browse(self.customer.id).write({"email": "zs@example.com", "city": "Shenzhen"})
        self.assertEqual(self.customer.city, "Shenzhen")
        with self.assertRaises(AccessError) as cm:
            Partner.browse(self.customer2.id).write({"city": "Shenzhen"})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        with self.assertRaises(AccessError) as cm:
            Partner.browse(self.customer.id).write({"drmoto_is_customer": False})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        with self.assertRaises(AccessError) as cm:
            Partner.create({"name": "Sneaky"})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        with self.assertRaises(AccessError) as cm:
            Partner.drmoto_upsert_customer({"name": "Sneaky", "phone": "13700000006"})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")

    def test_actor_is_ignored_for_non_integration_users(self):
        # the advisor claims to be customer 2 but is treated as itself (an advisor)
        Partner = self.env(user=self.user_advisor, context={"drmoto_actor": {
            "kind": "customer", "partner_id": self.customer2.id,
        }})["res.partner"]
        Partner.browse(self.customer.id).write({"city": "Dongguan"})
        self.assertEqual(self.customer.city, "Dongguan")

    def test_malformed_actor_is_refused(self):
        Partner = self.as_bff("res.partner", {"kind": "customer"})
        with self.assertRaises(UserError) as cm:
            Partner.browse(self.customer.id).write({"city": "Foshan"})
        self.assertDrmCode(cm, "DRM_VALIDATION")
        Partner = self.as_bff("res.partner", {"kind": "robot"})
        with self.assertRaises(UserError) as cm:
            Partner.browse(self.customer.id).write({"city": "Foshan"})
        self.assertDrmCode(cm, "DRM_VALIDATION")
