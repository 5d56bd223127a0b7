"""Two real cursors issuing parts: the quant lock and the request key under concurrency.

The test transaction can't see committed data of other cursors, so this case commits its own
customer, vehicle, product with stock and work orders through fresh cursors, and deletes
them afterwards with SQL (the logs and done moves refuse ORM deletes by design).
"""
import uuid

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.service.model import retrying
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger
from odoo.addons.drmoto_workshop.models.drmoto_compat import product_type_vals

CTX = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True, "mail_notrack": True}


@tagged("post_install", "-at_install")
class TestDrmotoWorkOrderPartsConcurrency(TransactionCase):
    def setUp(self):
        super().setUp()
        self.db = db_connect(self.env.cr.dbname)
        tag = uuid.uuid4().hex[:6].upper()
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CTX)
            partner = env["res.partner"].create({
                "name": "Parts race %s" % tag, "phone": "+1415%07d" % (uuid.uuid4().int % 10**7),
                "drmoto_is_customer": True,
            })
            vehicle = env["drmoto.vehicle"].create({"plate_no": "PR%s" % tag, "partner_id": partner.id})
            product = env["product.product"].create({"name": "Last part %s" % tag, **product_type_vals("product")})
            WorkOrder = env["drmoto.work.order"]
            self.wo_ids = []
            for n in range(2):
                wo_id = WorkOrder.action_open(
                    {"partner_id": partner.id, "vehicle_id": vehicle.id, "state": "checkin"}, "open-%s-%s" % (tag, n),
                )["id"]
                self.wo_ids.append(wo_id)
            wh = env["drmoto.work.order"].browse(self.wo_ids[0]).warehouse_id
            env["stock.quant"]._update_available_quantity(product, wh.lot_stock_id, 1.0)
            self.ids = (partner.id, vehicle.id, product.id, product.product_tmpl_id.id)
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        partner_id, vehicle_id, product_id, template_id = self.ids
        wos = tuple(self.wo_ids)
        with self.db.cursor() as cr:
            cr.execute("SELECT id FROM stock_picking WHERE drmoto_work_order_id IN %s", [wos])
            pickings = tuple(r[0] for r in cr.fetchall()) or (0,)
            # stock valuation layers are gone in 19 (valuation moved onto the moves)
            cr.execute("SELECT to_regclass('stock_valuation_layer') IS NOT NULL")
            if cr.fetchone()[0]:
                cr.execute("DELETE FROM stock_valuation_layer WHERE product_id = %s", [product_id])
            cr.execute("DELETE FROM stock_move_line WHERE product_id = %s", [product_id])
            cr.execute("DELETE FROM stock_move WHERE product_id = %s", [product_id])
            cr.execute("DELETE FROM mail_followers WHERE res_model = 'stock.picking' AND res_id IN %s", [pickings])
            cr.execute("DELETE FROM mail_message WHERE model = 'stock.picking' AND res_id IN %s", [pickings])
            cr.execute("DELETE FROM stock_picking WHERE id IN %s", [pickings])
            cr.execute("DELETE FROM stock_quant WHERE product_id = %s", [product_id])
            cr.execute("DELETE FROM drmoto_wo_status_log WHERE work_order_id IN %s", [wos])
            cr.execute("DELETE FROM drmoto_audit_log WHERE work_order_id IN %s", [wos])
            cr.execute("DELETE FROM drmoto_work_order_part WHERE work_order_id IN %s", [wos])
            cr.execute("DELETE FROM mail_followers WHERE res_model IN ('drmoto.work.order', 'drmoto.vehicle', 'res.partner') AND res_id IN %s", [wos + (vehicle_id, partner_id)])
            cr.execute("DELETE FROM mail_message WHERE model IN ('drmoto.work.order', 'drmoto.vehicle', 'res.partner') AND res_id IN %s", [wos + (vehicle_id, partner_id)])
            cr.execute("DELETE FROM drmoto_work_order WHERE id IN %s", [wos])
            cr.execute("DELETE FROM drmoto_vehicle WHERE id = %s", [vehicle_id])
            cr.execute("DELETE FROM product_product WHERE id = %s", [product_id])
            cr.execute("DELETE FROM product_template WHERE id = %s", [template_id])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [partner_id])

    def _race(self, wo_b, key_b, wo_c, key_c):
        """B and C both start before either commits; B issues the last unit and commits
        first. C's call runs through Odoo's own retry loop (odoo.service.model.retrying)."""
        product_id = self.ids[2]
        lines = [{"product_id": product_id, "qty": 1}]
        cr_b, cr_c = self.db.cursor(), self.db.cursor()
        try:
            env_b = api.Environment(cr_b, SUPERUSER_ID, CTX)
            env_c = api.Environment(cr_c, SUPERUSER_ID, CTX)
            # C's snapshot is taken before B commits: it still sees the last unit
            cr_c.execute("SELECT sum(quantity) FROM stock_quant q JOIN stock_location l ON l.id = q.location_id "
                         "WHERE q.product_id = %s AND l.usage = 'internal'", [product_id])
            self.assertEqual(cr_c.fetchone()[0], 1.0)
            result_b = env_b["drmoto.work.order"].browse(wo_b).action_issue_parts(key_b, lines)
            cr_b.commit()
            # without the retry loop: a serialization failure when C locks the quants
            with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.SerializationFailure):
                env_c["drmoto.work.order"].browse(wo_c).action_issue_parts(key_c, lines)
            cr_c.rollback()
            env_c.reset()

            def call():
                return env_c["drmoto.work.order"].browse(wo_c).action_issue_parts(key_c, lines)

            cr_c.execute("SELECT 1")  # a new snapshot (before the retry loop's own)
            with mute_logger("odoo.sql_db", "odoo.service.model"):
                outcome = retrying(call, env_c)
            cr_c.commit()
            return result_b, outcome
        finally:
            cr_b.close()
            cr_c.close()

    def _pickings(self):
        with self.db.cursor() as cr:
            cr.execute("SELECT count(*) FROM stock_picking WHERE drmoto_work_order_id IN %s", [tuple(self.wo_ids)])
            return cr.fetchone()[0]

    def test_two_issues_of_the_last_unit(self):
        with self.assertRaises(UserError) as cm:
            self._race(self.wo_ids[0], "key-b", self.wo_ids[1], "key-c")
        self.assertTrue(str(cm.exception).startswith("DRM_NO_STOCK: not enough Last part"), str(cm.exception))
        self.assertIn("available 0, requested 1", str(cm.exception))
        self.assertEqual(self._pickings(), 1)

    def test_concurrent_duplicate_key_gets_the_replay(self):
        result_b, outcome = self._race(self.wo_ids[0], "key-same", self.wo_ids[0], "key-same")
        self.assertEqual(outcome, dict(result_b, replayed=True))
        self.assertEqual(self._pickings(), 1)
