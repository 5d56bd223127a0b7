from odoo.exceptions import AccessError, MissingError
from odoo.tests import tagged

from .common import DrmotoCase

ALL_ROLES = ["technician", "advisor", "keeper", "cashier", "manager"]


@tagged("post_install", "-at_install")
class TestResUsers(DrmotoCase):
    def test_staff_profile_roles(self):
        Users = self.env["res.users"].with_user(self.user_bff)
        expected = {
            self.user_advisor: ["advisor"],
            self.user_technician: ["technician"],
            self.user_keeper: ["keeper"],
            self.user_cashier: ["cashier"],
            self.user_manager: ALL_ROLES,
            self.user_bff: ALL_ROLES,
            self.user_plain: [],
        }
        for user, roles in expected.items():
            with self.subTest(user=user.login):
                self.assertEqual(Users.drmoto_staff_profile(user.id)["roles"], roles)

    def test_staff_profile_shape(self):
        profile = self.env["res.users"].with_user(self.user_bff).drmoto_staff_profile(self.user_advisor.id)
        self.assertEqual(profile, {
            "uid": self.user_advisor.id,
            "name": self.user_advisor.name,
            "login": "t_advisor",
            "partner_id": self.user_advisor.partner_id.id,
            "company_id": self.company.id,
            "company_ids": [self.company.id],
            "roles": ["advisor"],
        })
        bff = self.env["res.users"].with_user(self.user_bff).drmoto_staff_profile(self.user_bff.id)
        self.assertEqual(sorted(bff["company_ids"]), sorted((self.company | self.company2).ids))

    def test_a_user_reads_only_their_own_profile(self):
        Users = self.env["res.users"].with_user(self.user_advisor)
        self.assertEqual(Users.drmoto_staff_profile(self.user_advisor.id)["roles"], ["advisor"])
        with self.assertRaises(AccessError) as cm:
            Users.drmoto_staff_profile(self.user_technician.id)
        self.assertDrmCode(cm, "DRM_FORBIDDEN")

    def test_unknown_or_archived_user(self):
        Users = self.env["res.users"].with_user(self.user_bff)
        with self.assertRaises(MissingError) as cm:
            Users.drmoto_staff_profile(999999)
        self.assertDrmCode(cm, "DRM_NOT_FOUND")
        self.user_keeper.active = False
        with self.assertRaises(MissingError):
            Users.drmoto_staff_profile(self.user_keeper.id)
