from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from ..models.drmoto_normalize import clean_vin, is_valid_vin, normalize_plate
from .common import DrmotoCase

VIN = "LSVAU2180N2183294"


@tagged("post_install", "-at_install")
class TestDrmotoVehicle(DrmotoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Vehicle = cls.env["drmoto.vehicle"]
        cls.vehicle = cls.Vehicle.create({
            "plate_no": "粤B·12345", "partner_id": cls.customer.id, "brand": "Honda", "vin": VIN,
        })
        cls.vehicle2 = cls.Vehicle.create({"plate_no": "粤A 54321", "partner_id": cls.customer2.id})

    # ---------------------------------------------------------- normalization

    def test_normalize_plate_table(self):
        table = [
            ("粤B·12345", "粤B12345"),
            ("粤b12345", "粤B12345"),
            ("粤B12345", "粤B12345"),
            ("粤B 12345", "粤B12345"),
            (" 粤B-123.45 ", "粤B12345"),
            ("粤B•12345", "粤B12345"),
            ("粤B・12345", "粤B12345"),
            ("粤B_D12345", "粤BD12345"),  # new-energy plate
            ("京Ａ１２３４５", "京A12345"),  # full-width
            ("使014578", "使014578"),
            ("粤Z1234港", "粤Z1234港"),
            ("ab-123", "AB123"),
        ]
        for raw, expected in table:
            with self.subTest(raw=raw):
                self.assertEqual(normalize_plate(raw), expected)

    def test_normalize_plate_rejects(self):
        for raw in (None, "", "  ", "·", "A", "粤B#12345", "粤B/12345", "粤B12345678901", "ÄB123"):
            with self.subTest(raw=raw):
                self.assertIsNone(normalize_plate(raw))

    def test_vin_rules(self):
        self.assertEqual(clean_vin(" lsvau2180n2183294 "), VIN)
        self.assertFalse(clean_vin(""))
        self.assertFalse(clean_vin(None))
        self.assertTrue(is_valid_vin(VIN))
        for bad in ("LSVAU2180N218329", "LSVAU2180N21832944", "LSVAU2180N218329I", "LSVAU2180N218329O",
                    "LSVAU2180N218329Q", "LSVAU2180N218329-"):
            with self.subTest(vin=bad):
                self.assertFalse(is_valid_vin(bad))

    def test_plate_and_name_are_computed(self):
        self.assertEqual(self.vehicle.plate_normalized, "粤B12345")
        self.assertEqual(self.vehicle.name, "粤B·12345")
        self.assertEqual(self.vehicle.display_name, "粤B·12345")
        self.assertEqual(self.vehicle.company_id, self.company)
        self.vehicle.plate_no = "粤b 99999"
        self.assertEqual(self.vehicle.plate_normalized, "粤B99999")

    def test_invalid_plate_raises(self):
        for plate in ("", "粤B#12345", "X"):
            with self.subTest(plate=plate), self.assertRaises(ValidationError) as cm:
                self.Vehicle.create({"plate_no": plate, "partner_id": self.customer.id})
            self.assertDrmCode(cm, "DRM_PLATE_INVALID")
        with self.assertRaises(ValidationError) as cm:
            self.Vehicle.create({"partner_id": self.customer.id})
        self.assertDrmCode(cm, "DRM_PLATE_INVALID")
        with self.assertRaises(ValidationError) as cm:
            self.vehicle.write({"plate_no": "  "})
        self.assertDrmCode(cm, "DRM_PLATE_INVALID")

    def test_vin_is_upper_cased_and_validated(self):
        vehicle = self.Vehicle.create({
            "plate_no": "粤B00001", "partner_id": self.customer.id, "vin": " lsvau2180n2183295",
        })
        self.assertEqual(vehicle.vin, "LSVAU2180N2183295")
        vehicle.vin = ""
        self.assertFalse(vehicle.vin)
        with self.assertRaises(ValidationError) as cm:
            vehicle.vin = "LSVAU2180N218329I"
        self.assertDrmCode(cm, "DRM_VIN_INVALID")

    def test_year_and_odometer_are_checked(self):
        with self.assertRaises(ValidationError) as cm:
            self.vehicle.year = 1800
        self.assertDrmCode(cm, "DRM_VALIDATION")
        with self.assertRaises(ValidationError) as cm:
            self.vehicle.odometer = -1
        self.assertDrmCode(cm, "DRM_VALIDATION")

    # ---------------------------------------------------------- uniqueness

    def test_duplicate_plate_in_the_same_shop_is_refused(self):
        for plate in ("粤B12345", "粤b 123.45"):
            with self.subTest(plate=plate):
                self.assertUniqueViolation(
                    lambda: self.Vehicle.create({"plate_no": plate, "partner_id": self.customer2.id}),
                    "DRM_DUP_PLATE",
                )

    # ---------------------------------------------------------- ownership (who registered the plate first can't block it)

    def test_customer_registration_is_unconfirmed_until_staff_confirm(self):
        mine = self.as_bff("drmoto.vehicle", {"kind": "customer", "partner_id": self.customer.id}).create({"plate_no": "粤H10001"})
        self.assertEqual(mine.ownership_state, "unconfirmed")
        self.assertEqual(self.vehicle.ownership_state, "confirmed")
        with self.assertRaises(AccessError) as cm:
            mine.write({"ownership_state": "confirmed"})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        with self.assertRaises(AccessError) as cm:
            mine.action_confirm_ownership()
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        with self.assertRaises(AccessError) as cm:
            self.as_bff("drmoto.vehicle", {"kind": "staff", "uid": self.user_technician.id}).browse(mine.id).action_confirm_ownership()
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        self.as_bff("drmoto.vehicle", {"kind": "staff", "uid": self.user_advisor.id}).browse(mine.id).action_confirm_ownership()
        self.assertEqual(mine.ownership_state, "confirmed")

    def test_an_advisor_confirms_ownership_from_the_vehicle_form(self):
        mine = self.as_bff("drmoto.vehicle", {"kind": "customer", "partner_id": self.customer.id}).create({"plate_no": "粤H30003"})
        with self.assertRaises(AccessError) as cm:
            mine.with_user(self.user_technician).button_confirm_ownership()
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        self.assertEqual(mine.ownership_state, "unconfirmed")
        self.assertIs(mine.with_user(self.user_advisor).button_confirm_ownership(), True)
        self.assertEqual(mine.ownership_state, "confirmed")

    def test_staff_registration_for_the_owner_moves_an_unconfirmed_squatter_aside(self):
        squat = self.as_bff("drmoto.vehicle", {"kind": "customer", "partner_id": self.customer2.id}).create({"plate_no": "粤H20002"})
        # another customer can't take it either
        self.assertUniqueViolation(
            lambda: self.as_bff("drmoto.vehicle", {"kind": "customer", "partner_id": self.customer.id}).create({"plate_no": "粤h 20002"}),
            "DRM_DUP_PLATE",
        )
        owner = self.as_bff("drmoto.vehicle", {"kind": "staff", "uid": self.user_advisor.id}).create(
            {"plate_no": "粤H·20002", "partner_id": self.customer.id})
        self.env.flush_all()
        self.assertEqual((owner.ownership_state, owner.active), ("confirmed", True))
        self.assertFalse(squat.active)
        self.assertIn("Archived", squat.message_ids[0].body)
        # a confirmed registration is not moved aside: staff get the duplicate
        self.assertUniqueViolation(
            lambda: self.as_bff("drmoto.vehicle", {"kind": "staff", "uid": self.user_advisor.id}).create(
                {"plate_no": "粤H20002", "partner_id": self.customer2.id}),
            "DRM_DUP_PLATE",
        )

    def test_same_plate_in_another_shop_is_allowed(self):
        other = self.Vehicle.create({
            "plate_no": "粤B12345", "partner_id": self.customer.id, "company_id": self.company2.id,
        })
        self.env.flush_all()
        self.assertEqual(other.plate_normalized, self.vehicle.plate_normalized)

    def test_duplicate_vin_is_refused(self):
        self.assertUniqueViolation(
            lambda: self.Vehicle.create({
                "plate_no": "粤C11111", "partner_id": self.customer2.id, "vin": VIN.lower(),
                "company_id": self.company2.id,
            }),
            "DRM_DUP_VIN",
        )

    def test_vehicles_without_vin_do_not_collide(self):
        self.Vehicle.create({"plate_no": "粤C22222", "partner_id": self.customer.id, "vin": ""})
        self.Vehicle.create({"plate_no": "粤C33333", "partner_id": self.customer.id})
        self.env.flush_all()

    def test_search_by_plate_vin_or_phone(self):
        domain = ["|", "|", ("plate_normalized", "ilike", "{q}"), ("vin", "ilike", "{q}"),
                  ("partner_id.drmoto_phone_normalized", "ilike", "{q}")]
        for query in ("B12345", "2183294", "0013800"):
            with self.subTest(query=query):
                rows = self.Vehicle.with_user(self.user_technician).search_read(
                    [leaf if isinstance(leaf, str) else (leaf[0], leaf[1], query) for leaf in domain],
                    ["plate_no", "partner_id"],
                )
                self.assertEqual([row["id"] for row in rows], [self.vehicle.id])
        self.assertEqual(self.Vehicle.name_search("粤B12345")[0][0], self.vehicle.id)

    # ---------------------------------------------------------- access

    def test_read_only_roles_read_but_do_not_create_or_write(self):
        for user in (self.user_technician, self.user_keeper, self.user_cashier):
            with self.subTest(user=user.login):
                Vehicle = self.Vehicle.with_user(user)
                self.assertEqual(Vehicle.browse(self.vehicle.id).plate_no, "粤B·12345")
                with self.assertRaises(AccessError):
                    Vehicle.create({"plate_no": "粤D12345", "partner_id": self.customer.id})
                with self.assertRaises(AccessError):
                    Vehicle.browse(self.vehicle.id).write({"odometer": 100})

    def test_advisor_creates_and_writes_but_does_not_delete(self):
        Vehicle = self.Vehicle.with_user(self.user_advisor)
        vehicle = Vehicle.create({"plate_no": "粤D12345", "partner_id": self.customer.id})
        vehicle.write({"odometer": 1200})
        with self.assertRaises(AccessError):
            vehicle.unlink()
        self.Vehicle.with_user(self.user_manager).browse(vehicle.id).unlink()
        self.assertFalse(vehicle.exists())

    def test_plain_user_sees_no_vehicle(self):
        with self.assertRaises(AccessError):
            self.Vehicle.with_user(self.user_plain).search([])

    def test_company_rule(self):
        other = self.Vehicle.create({
            "plate_no": "粤E12345", "partner_id": self.customer.id, "company_id": self.company2.id,
        })
        visible = self.Vehicle.with_user(self.user_advisor).search([("plate_normalized", "like", "粤E")])
        self.assertFalse(visible)
        visible = self.as_bff("drmoto.vehicle").with_context(allowed_company_ids=self.company2.ids).search(
            [("plate_normalized", "like", "粤E")]
        )
        self.assertEqual(visible, other)

    # ---------------------------------------------------------- actors

    def test_customer_actor_registers_own_vehicle(self):
        Vehicle = self.as_bff("drmoto.vehicle", {"kind": "customer", "partner_id": self.customer.id})
        vehicle = Vehicle.create({"plate_no": "粤F12345"})
        self.assertEqual(vehicle.partner_id, self.customer)
        vehicle = Vehicle.create({"plate_no": "粤F12346", "partner_id": self.customer.id})
        vehicle.write({"odometer": 5000, "brand": "Yamaha"})
        with self.assertRaises(AccessError) as cm:
            Vehicle.create({"plate_no": "粤F12347", "partner_id": self.customer2.id})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")

    def test_customer_actor_cannot_write_anothers_vehicle(self):
        Vehicle = self.as_bff("drmoto.vehicle", {"kind": "customer", "partner_id": self.customer.id})
        with self.assertRaises(AccessError) as cm:
            Vehicle.browse(self.vehicle2.id).write({"odometer": 1})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        with self.assertRaises(AccessError) as cm:
            Vehicle.browse(self.vehicle.id).write({"partner_id": self.customer2.id})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        with self.assertRaises(AccessError) as cm:
            Vehicle.browse(self.vehicle.id).unlink()
        self.assertDrmCode(cm, "DRM_FORBIDDEN")

    def test_delegated_staff_and_system_actors(self):
        Vehicle = self.as_bff("drmoto.vehicle", {"kind": "staff", "uid": self.user_technician.id})
        with self.assertRaises(AccessError) as cm:
            Vehicle.create({"plate_no": "粤G12345", "partner_id": self.customer.id})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
        Vehicle = self.as_bff("drmoto.vehicle", {"kind": "staff", "uid": self.user_advisor.id})
        Vehicle.create({"plate_no": "粤G12345", "partner_id": self.customer.id})
        Vehicle = self.as_bff("drmoto.vehicle", {"kind": "system"})
        with self.assertRaises(AccessError) as cm:
            Vehicle.browse(self.vehicle.id).write({"odometer": 1})
        self.assertDrmCode(cm, "DRM_FORBIDDEN")
