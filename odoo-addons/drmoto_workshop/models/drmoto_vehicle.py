from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .drmoto_actor import check_staff_role, forbidden, get_actor
from .drmoto_normalize import clean_plate, clean_vin, is_valid_plate, is_valid_vin
from .drmoto_compat import sql_constraints


@sql_constraints
class DrmotoVehicle(models.Model):
    _name = "drmoto.vehicle"
    _description = "Workshop vehicle"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "plate_normalized, id"
    _check_company_auto = True
    _rec_names_search = ["plate_no", "plate_normalized", "vin"]

    name = fields.Char(compute="_compute_name", store=True, help="The plate, as typed.")
    plate_no = fields.Char(string="Plate", required=True, tracking=True, help="As typed, e.g. 粤B·12345.")
    plate_normalized = fields.Char(
        string="Normalized plate",
        compute="_compute_plate_normalized",
        store=True,
        index=True,
        help="Upper case without spaces and separators: 粤B·12345, 粤b 12345 -> 粤B12345.",
    )
    vin = fields.Char(string="VIN", index="btree_not_null", copy=False, tracking=True)
    brand = fields.Char()
    vehicle_model = fields.Char(string="Model")
    year = fields.Integer()
    odometer = fields.Integer(string="Odometer (km)")
    partner_id = fields.Many2one(
        "res.partner",
        string="Owner",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        domain=[("drmoto_is_customer", "=", True)],
    )
    company_id = fields.Many2one(
        "res.company",
        string="Shop",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "plate_company_uniq",
            "unique(company_id, plate_normalized)",
            "DRM_DUP_PLATE: this plate is already registered in this shop",
        ),
        ("vin_uniq", "unique(vin)", "DRM_DUP_VIN: this VIN is already registered"),
    ]

    @api.depends("plate_no")
    def _compute_name(self):
        for vehicle in self:
            vehicle.name = vehicle.plate_no

    @api.depends("plate_no")
    def _compute_plate_normalized(self):
        for vehicle in self:
            vehicle.plate_normalized = clean_plate(vehicle.plate_no) or False

    @api.constrains("plate_no")
    def _check_plate(self):
        for vehicle in self:
            if not is_valid_plate(vehicle.plate_normalized):
                raise ValidationError(
                    "DRM_PLATE_INVALID: "
                    + _("a plate is 2 to 12 Chinese characters, letters A-Z or digits once separators are removed")
                )

    @api.constrains("vin")
    def _check_vin(self):
        for vehicle in self:
            if vehicle.vin and not is_valid_vin(vehicle.vin):
                raise ValidationError(
                    "DRM_VIN_INVALID: " + _("a VIN is 17 characters of A-Z (without I, O, Q) and 0-9")
                )

    @api.constrains("year", "odometer")
    def _check_year_odometer(self):
        max_year = fields.Date.context_today(self).year + 1
        for vehicle in self:
            if vehicle.year and not 1900 <= vehicle.year <= max_year:
                raise ValidationError("DRM_VALIDATION: " + _("the year must be between 1900 and %s", max_year))
            if vehicle.odometer < 0:
                raise ValidationError("DRM_VALIDATION: " + _("the odometer can't be negative"))

    @api.model
    def _drmoto_clean_vals(self, vals):
        vals = dict(vals)
        if "vin" in vals:
            vals["vin"] = clean_vin(vals["vin"])
        if "plate_no" in vals and not clean_plate(vals["plate_no"]):
            raise ValidationError("DRM_PLATE_INVALID: " + _("the plate is required"))
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [self._drmoto_clean_vals(vals) for vals in vals_list]
        for vals in vals_list:
            if not vals.get("plate_no"):
                raise ValidationError("DRM_PLATE_INVALID: " + _("the plate is required"))
        if not self.env.su and self.env.context.get("drmoto_actor"):
            actor = get_actor(self.env)
            if actor["kind"] == "customer":
                for vals in vals_list:
                    vals.setdefault("partner_id", actor["partner_id"])
                    if vals["partner_id"] != actor["partner_id"]:
                        raise forbidden(_("a customer may only register their own vehicles"))
            elif actor["kind"] == "system":
                raise forbidden(_("the system may not register vehicles"))
            else:
                check_staff_role(self.env, actor, "advisor", _("register vehicles"))
        return super().create(vals_list)

    def write(self, vals):
        vals = self._drmoto_clean_vals(vals)
        if not self.env.su and self.env.context.get("drmoto_actor"):
            actor = get_actor(self.env)
            if actor["kind"] == "customer":
                own = actor["partner_id"]
                if any(vehicle.partner_id.id != own for vehicle in self):
                    raise forbidden(_("a customer may only change their own vehicles"))
                if vals.get("partner_id", own) != own or "company_id" in vals:
                    raise forbidden(_("a customer may not give a vehicle away or move it to another shop"))
            elif actor["kind"] == "system":
                raise forbidden(_("the system may not change vehicles"))
            else:
                check_staff_role(self.env, actor, "advisor", _("change vehicles"))
        return super().write(vals)

    def unlink(self):
        if not self.env.su and self.env.context.get("drmoto_actor"):
            actor = get_actor(self.env)
            if actor["kind"] != "staff":
                raise forbidden(_("only a manager may delete vehicles; archive them instead"))
            check_staff_role(self.env, actor, "manager", _("delete vehicles"))
        return super().unlink()
