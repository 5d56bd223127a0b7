from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import DrmotoCase

APP = "wx1234567890abcdef"


@tagged("post_install", "-at_install")
class TestDrmotoWechatIdentity(DrmotoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Identity = cls.env["drmoto.wechat.identity"].with_user(cls.user_bff)

    def test_login_gets_or_creates_the_identity(self):
        first = self.Identity.drmoto_login(APP, "openid-1")
        self.assertEqual(set(first), {"identity_id", "partner_id"})
        self.assertIs(first["partner_id"], False)
        self.assertEqual(self.Identity.drmoto_login(APP, "openid-1", "union-1"), first)
        self.assertEqual(self.Identity.browse(first["identity_id"]).unionid, "union-1")
        other_app = self.Identity.drmoto_login("wxother", "openid-1")
        self.assertNotEqual(other_app["identity_id"], first["identity_id"])

    def test_bind_phone_links_the_customer_the_advisor_entered(self):
        # the advisor typed "+86 138-0013-8000", WeChat verifies "13800138000"
        login = self.Identity.drmoto_login(APP, "openid-2")
        result = self.Identity.drmoto_bind_phone(APP, "openid-2", "13800138000")
        self.assertEqual(result, {"identity_id": login["identity_id"], "partner_id": self.customer.id, "created": False})
        self.assertEqual(self.Identity.drmoto_login(APP, "openid-2")["partner_id"], self.customer.id)
        # binding again is the same answer
        self.assertEqual(self.Identity.drmoto_bind_phone(APP, "openid-2", "+8613800138000"), result)
        self.assertEqual(self.env["res.partner"].search_count([("drmoto_phone_normalized", "=", "13800138000")]), 1)

    def test_bind_phone_creates_a_customer_when_none_has_the_phone(self):
        result = self.Identity.drmoto_bind_phone(APP, "openid-3", "137 0000 8001")
        self.assertTrue(result["created"])
        partner = self.env["res.partner"].browse(result["partner_id"])
        self.assertEqual(partner.name, "WeChat user 8001")
        self.assertTrue(partner.drmoto_is_customer)
        self.assertEqual(partner.drmoto_phone_normalized, "13700008001")
        named = self.Identity.drmoto_bind_phone(APP, "openid-4", "13700008002", "Chen Qi")
        self.assertEqual(self.env["res.partner"].browse(named["partner_id"]).name, "Chen Qi")

    def test_identity_bound_to_another_partner_raises(self):
        self.Identity.drmoto_bind_phone(APP, "openid-5", "13800138000")
        with self.assertRaises(UserError) as cm:
            self.Identity.drmoto_bind_phone(APP, "openid-5", "13900139000")
        self.assertDrmCode(cm, "DRM_IDENTITY_BOUND")
        with self.assertRaises(UserError) as cm:
            self.Identity.drmoto_bind_phone(APP, "openid-5", "13700009999")
        self.assertDrmCode(cm, "DRM_IDENTITY_BOUND")

    def test_identity_of_an_archived_customer_can_rebind(self):
        self.Identity.drmoto_bind_phone(APP, "openid-6", "13900139000")
        self.customer2.active = False
        self.assertIs(self.Identity.drmoto_login(APP, "openid-6")["partner_id"], False)
        result = self.Identity.drmoto_bind_phone(APP, "openid-6", "13800138000")
        self.assertEqual(result["partner_id"], self.customer.id)

    def test_bind_phone_as_a_customer_actor(self):
        Identity = self.as_bff("drmoto.wechat.identity", {"kind": "customer", "partner_id": self.customer.id})
        result = Identity.drmoto_bind_phone(APP, "openid-7", "13700008003")
        self.assertTrue(result["created"])

    def test_bad_input(self):
        with self.assertRaises(UserError) as cm:
            self.Identity.drmoto_bind_phone(APP, "openid-8", "12345")
        self.assertDrmCode(cm, "DRM_PHONE_INVALID")
        with self.assertRaises(UserError) as cm:
            self.Identity.drmoto_login(APP, "")
        self.assertDrmCode(cm, "DRM_VALIDATION")

    def test_duplicate_identity_is_refused(self):
        self.Identity.drmoto_login(APP, "openid-9")
        self.assertUniqueViolation(
            lambda: self.env["drmoto.wechat.identity"].create({"app_id": APP, "openid": "openid-9"}),
            "DRM_DUP_KEY",
        )

    def test_only_the_integration_user_manages_identities(self):
        for user in (self.user_advisor, self.user_manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["drmoto.wechat.identity"].with_user(user).drmoto_login(APP, "openid-10")
        self.Identity.drmoto_login(APP, "openid-10")
        rows = self.env["drmoto.wechat.identity"].with_user(self.user_manager).search_read(
            [("openid", "=", "openid-10")], ["app_id", "partner_id"]
        )
        self.assertEqual(len(rows), 1)
