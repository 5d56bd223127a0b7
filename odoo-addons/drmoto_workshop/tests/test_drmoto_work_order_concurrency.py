"""Two real cursors on one work order: what the contract says about concurrent actions.

The test transaction can't see committed data of other cursors and vice versa, so this
case commits its own customer, vehicle and work order through fresh cursors and deletes
them afterwards with SQL (the logs refuse ORM deletes by design).
"""
import uuid
from functools import partial

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.service.model import retrying
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

CTX = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True, "mail_notrack": True}


@tagged("post_install", "-at_install")
class TestDrmotoWorkOrderConcurrency(TransactionCase):
    def setUp(self):
        super().setUp()
        self.db = db_connect(self.env.cr.dbname)
        tag = uuid.uuid4().hex[:6].upper()
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CTX)
            partner = env["res.partner"].create({
                "name": "Concurrency %s" % tag, "phone": "+1415%07d" % (uuid.uuid4().int % 10**7),
                "drmoto_is_customer": True,
            })
            vehicle = env["drmoto.vehicle"].create({"plate_no": "ZZ%s" % tag, "partner_id": partner.id})
            self.wo_id = env["drmoto.work.order"].action_open(
                {"partner_id": partner.id, "vehicle_id": vehicle.id}, "open-%s" % tag)["id"]
            self.ids = (partner.id, vehicle.id)
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        partner_id, vehicle_id = self.ids
        with self.db.cursor() as cr:
            cr.execute("DELETE FROM drmoto_wo_status_log WHERE work_order_id = %s", [self.wo_id])
            cr.execute("DELETE FROM drmoto_audit_log WHERE work_order_id = %s", [self.wo_id])
            cr.execute("DELETE FROM mail_followers WHERE res_model IN ('drmoto.work.order', 'drmoto.vehicle', 'res.partner') AND res_id IN %s", [(self.wo_id, vehicle_id, partner_id)])
            cr.execute("DELETE FROM mail_message WHERE model IN ('drmoto.work.order', 'drmoto.vehicle', 'res.partner') AND res_id IN %s", [(self.wo_id, vehicle_id, partner_id)])
            cr.execute("DELETE FROM drmoto_work_order WHERE id = %s", [self.wo_id])
            cr.execute("DELETE FROM drmoto_vehicle WHERE id = %s", [vehicle_id])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [partner_id])

    def _race(self, key_b, key_c):
        """B and C both start at revision 1; B commits its check-in first. C's call runs
        through Odoo's own retry loop (odoo.service.model.retrying)."""
        cr_b, cr_c = self.db.cursor(), self.db.cursor()
        try:
            env_b = api.Environment(cr_b, SUPERUSER_ID, CTX)
            env_c = api.Environment(cr_c, SUPERUSER_ID, CTX)
            # C's snapshot is taken before B commits
            cr_c.execute("SELECT revision FROM drmoto_work_order WHERE id = %s", [self.wo_id])
            self.assertEqual(cr_c.fetchone()[0], 1)
            result_b = env_b["drmoto.work.order"].browse(self.wo_id).action_checkin(1, key_b)
            cr_b.commit()
            # without the retry loop: a serialization failure at the row lock
            with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.SerializationFailure):
                env_c["drmoto.work.order"].browse(self.wo_id).action_checkin(1, key_c)
            cr_c.rollback()
            env_c.reset()
            cr_c.execute("SELECT 1")
            cr_b.execute("UPDATE drmoto_work_order SET symptom = symptom WHERE id = %s", [self.wo_id])
            cr_b.commit()  # moves the row again after C's new snapshot
            env_b.reset()

            def call():
                return env_c["drmoto.work.order"].browse(self.wo_id).action_checkin(1, key_c)

            with mute_logger("odoo.sql_db", "odoo.service.model"):
                outcome = retrying(partial(call), env_c)
            return result_b, outcome
        finally:
            cr_b.close()
            cr_c.close()

    def test_loser_with_another_key_gets_stale(self):
        with self.assertRaises(UserError) as cm:
            self._race("key-b", "key-c")
        self.assertTrue(str(cm.exception).startswith("DRM_STALE:"), str(cm.exception))
        with self.db.cursor() as cr:
            cr.execute("SELECT state, revision FROM drmoto_work_order WHERE id = %s", [self.wo_id])
            self.assertEqual(cr.fetchone(), ("checkin", 2))
            cr.execute("SELECT count(*) FROM drmoto_wo_status_log WHERE work_order_id = %s AND action = 'checkin'",
                       [self.wo_id])
            self.assertEqual(cr.fetchone()[0], 1)

    def test_loser_with_the_same_key_gets_the_replay(self):
        result_b, outcome = self._race("key-same", "key-same")
        self.assertEqual(outcome, dict(result_b, replayed=True))
        with self.db.cursor() as cr:
            cr.execute("SELECT count(*) FROM drmoto_wo_status_log WHERE work_order_id = %s AND action = 'checkin'",
                       [self.wo_id])
            self.assertEqual(cr.fetchone()[0], 1)
