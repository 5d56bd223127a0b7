from odoo.tests import tagged

from .common import DrmotoCase


@tagged("post_install", "-at_install")
class TestResCompany(DrmotoCase):
    def test_shop_time_zone_defaults_to_shanghai(self):
        self.assertEqual(self.company2.drmoto_tz, "Asia/Shanghai")

    def test_shop_time_zone_is_per_company(self):
        self.company2.drmoto_tz = "Europe/Paris"
        self.assertEqual(self.company2.drmoto_tz, "Europe/Paris")
        self.assertEqual(self.company.drmoto_tz, "Asia/Shanghai")
