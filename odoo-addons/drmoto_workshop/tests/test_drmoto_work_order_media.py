from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import WorkOrderCase


@tagged("post_install", "-at_install")
class TestDrmotoWorkOrderMedia(WorkOrderCase):

    def media_vals(self, wo, **extra):
        type(self)._key_seq += 1
        return dict({
            "object_key": "work-orders/%s/obj-%s.jpg" % (wo.id, type(self)._key_seq),
            "name": "front.jpg", "content_type": "image/jpeg", "size": 2048, "kind": "checkin_photo",
        }, **extra)

    def add(self, wo, actor, vals=None, key=None):
        return self.wo_as(wo, actor).action_add_media(key or self.key(), vals or self.media_vals(wo))

    # ------------------------------------------------------------------ add

    def test_add_records_the_media_and_the_actor(self):
        wo = self.to_state("checkin")
        revision = wo.revision
        vals = self.media_vals(wo)
        result = self.wo_as(wo, self.staff_technician).action_add_media("m-1", vals)
        self.assertEqual(set(result), {"id", "media_id", "replayed"})
        self.assertEqual((result["id"], result["replayed"]), (wo.id, False))
        media = self.env["drmoto.work.order.media"].browse(result["media_id"])
        self.assertEqual(
            (media.work_order_id, media.object_key, media.name, media.content_type, media.size, media.kind),
            (wo, vals["object_key"], "front.jpg", "image/jpeg", 2048, "checkin_photo"),
        )
        self.assertEqual((media.actor_kind, media.actor_user_id, media.user_id), ("staff", self.user_technician, self.user_bff))
        self.assertEqual(media.request_key, "m-1")
        self.assertEqual(media.company_id, wo.company_id)
        self.assertTrue(media.uploaded_at)
        self.assertEqual(wo.revision, revision, "adding media does not move the revision")
        self.assertEqual((wo.media_count, wo.checkin_photo_count), (1, 1))

    def test_same_key_replays_other_vals_dup_key(self):
        wo = self.to_state("checkin")
        vals = self.media_vals(wo)
        first = self.add(wo, self.staff_advisor, vals, key="m-same")
        again = self.add(wo, self.staff_advisor, dict(vals), key="m-same")
        self.assertEqual(again, dict(first, replayed=True))
        self.assertEqual(wo.media_count, 1)
        with self.assertRaises(UserError) as cm:
            self.add(wo, self.staff_advisor, dict(vals, size=4096), key="m-same")
        self.assertDrmCode(cm, "DRM_DUP_KEY")

    def test_object_key_is_unique(self):
        wo = self.to_state("checkin")
        vals = self.media_vals(wo)
        self.add(wo, self.staff_advisor, vals)
        self.assertUniqueViolation(lambda: self.add(wo, self.staff_advisor, dict(vals)), "DRM_DUP_KEY")

    def test_vals_are_validated(self):
        wo = self.to_state("checkin")
        other = self.to_state("draft")
        bad = [
            {"object_key": "work-orders/%s/x.jpg" % other.id},
            {"object_key": "work-orders/%s/" % wo.id},
            {"object_key": "work-orders/%s/../x.jpg" % wo.id},
            {"content_type": "application/pdf"},
            {"size": 0},
            {"size": 2.5},
            {"kind": "selfie"},
            {"name": ""},
        ]
        for change in bad:
            with self.subTest(change=change), self.assertRaises(UserError) as cm:
                self.add(wo, self.staff_advisor, self.media_vals(wo, **change))
            self.assertDrmCode(cm, "DRM_VALIDATION")
        with self.assertRaises(UserError) as cm:
            self.add(wo, self.staff_advisor, dict(self.media_vals(wo), url="http://x"))
        self.assertDrmCode(cm, "DRM_VALIDATION")
        self.assertEqual(wo.media_count, 0)

    def test_who_may_add(self):
        wo = self.to_state("checkin")
        for actor in (self.staff_keeper, self.staff_cashier, self.as_system, self.as_customer2):
            with self.subTest(actor=actor), self.assertRaises(AccessError) as cm:
                self.add(wo, actor)
            self.assertDrmCode(cm, "DRM_FORBIDDEN")
        for actor in (self.staff_advisor, self.staff_technician, self.staff_manager):
            self.add(wo, actor)
        # the owning customer: damage and other only
        with self.assertRaises(AccessError) as cm:
            self.add(wo, self.as_customer, self.media_vals(wo, kind="checkin_photo"))
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        result = self.add(wo, self.as_customer, self.media_vals(wo, kind="damage"))
        media = self.env["drmoto.work.order.media"].browse(result["media_id"])
        self.assertEqual((media.actor_kind, media.actor_partner_id), ("customer", self.customer))
        self.assertEqual(wo.media_count, 4)

    def test_no_media_on_closed_or_cancelled(self):
        wo = self.to_state("checkin")
        self.act(wo, "action_cancel", self.staff_advisor, "customer left")
        with self.assertRaises(UserError) as cm:
            self.add(wo, self.staff_advisor)
        self.assertDrmCode(cm, "DRM_WO_STATE")
        self.assertIn("'cancelled'", str(cm.exception))

    def test_metadata_is_immutable_but_name_and_kind(self):
        wo = self.to_state("checkin")
        media = self.env["drmoto.work.order.media"].browse(self.add(wo, self.staff_advisor)["media_id"])
        with self.assertRaises(AccessError) as cm:
            media.with_user(self.user_manager).write({"size": 1})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        media.with_user(self.user_manager).write({"kind": "damage", "name": "left.jpg"})
        self.assertEqual((media.kind, media.name), ("damage", "left.jpg"))
        with self.assertRaises(AccessError):
            media.with_user(self.user_technician).write({"kind": "other"})
        with self.assertRaises(AccessError):
            self.env["drmoto.work.order.media"].with_user(self.user_advisor).create(self.media_vals(wo, work_order_id=wo.id))

    def test_company_rule(self):
        wo = self.to_state("checkin")
        media = self.env["drmoto.work.order.media"].browse(self.add(wo, self.staff_advisor)["media_id"])
        Media = self.env["drmoto.work.order.media"].with_user(self.user_bff)
        self.assertFalse(Media.with_context(allowed_company_ids=[self.company2.id]).search([("id", "=", media.id)]))
        self.assertEqual(Media.with_context(allowed_company_ids=[self.company.id]).search([("id", "=", media.id)]), media)

    def test_preview_url_from_the_base_url_parameter(self):
        wo = self.to_state("checkin")
        media = self.env["drmoto.work.order.media"].browse(self.add(wo, self.staff_advisor)["media_id"])
        self.assertFalse(media.preview_url)
        self.env["ir.config_parameter"].sudo().set_param("drmoto_workshop.media_base_url", "https://cdn.example.com/m/")
        media.invalidate_recordset(["preview_url"])
        self.assertEqual(media.preview_url, "https://cdn.example.com/m/" + media.object_key)
        self.assertTrue(media.is_image)

    # ------------------------------------------------------------------ check-in photo minimum

    def test_start_diagnosis_needs_the_shops_checkin_photos(self):
        self.company.drmoto_min_checkin_photos = 2
        wo = self.to_state("checkin")
        self.add(wo, self.staff_advisor)
        self.add(wo, self.staff_advisor, self.media_vals(wo, kind="damage"))  # not a check-in photo
        revision = wo.revision
        with self.assertRaises(UserError) as cm:
            self.act(wo, "action_start_diagnosis", self.staff_technician)
        self.assertDrmCode(cm, "DRM_MEDIA_REQUIRED")
        self.assertIn("has 1 check-in photo(s)", str(cm.exception))
        self.assertEqual((wo.state, wo.revision), ("checkin", revision))
        self.add(wo, self.staff_technician)
        result = self.act(wo, "action_start_diagnosis", self.staff_technician)
        self.assertEqual(result["state"], "diagnosing")

    def test_minimum_zero_is_off_and_guard_runs_after_the_state_check(self):
        self.company.drmoto_min_checkin_photos = 0
        wo = self.to_state("checkin")
        self.assertEqual(self.act(wo, "action_start_diagnosis", self.staff_technician)["state"], "diagnosing")
        self.company.drmoto_min_checkin_photos = 3
        draft = self.to_state("draft")
        with self.assertRaises(UserError) as cm:
            self.act(draft, "action_start_diagnosis", self.staff_technician)
        self.assertDrmCode(cm, "DRM_WO_STATE")

    def test_negative_minimum_refused(self):
        self.assertUniqueViolation(lambda: self.company.write({"drmoto_min_checkin_photos": -1}), "DRM_VALIDATION")
