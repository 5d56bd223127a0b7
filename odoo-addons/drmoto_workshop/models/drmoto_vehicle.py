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
    ownership_state = fields.Selection(
        [("unconfirmed", "Unconfirmed"), ("confirmed", "Confirmed")],
        string="Ownership",
        required=True,
        default="confirmed",
        copy=False,
        tracking=True,
        help="A plate a customer registered themselves stays unconfirmed until staff have seen the papers. "
        "When staff register the same plate for its owner, an unconfirmed registration of someone else "
        "is archived, so nobody can block a plate by registering it first.",
    )

    # Unique among active vehicles only (an EXCLUDE ... WHERE, as the partner's phone): an archived registration
    # - one moved aside for the plate's real owner - keeps its plate without blocking it.
    _sql_constraints = [
        (
            "plate_company_uniq",
            "EXCLUDE (company_id WITH =, plate_normalized WITH =) WHERE (active)",
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
                    vals["ownership_state"] = "unconfirmed"
                return super().create(vals_list)
            if actor["kind"] == "system":
                raise forbidden(_("the system may not register vehicles"))
            check_staff_role(self.env, actor, "advisor", _("register vehicles"))
        # Staff (or Odoo's own screens) register the real owner's plate: it wins over a customer's unconfirmed one.
        for vals in vals_list:
            vals.setdefault("ownership_state", "confirmed")
            if vals["ownership_state"] == "confirmed":
                self._drmoto_move_aside(clean_plate(vals["plate_no"]), vals.get("company_id") or self.env.company.id,
                                        vals.get("partner_id"))
        return super().create(vals_list)

    @api.model
    def _drmoto_move_aside(self, plate, company_id, partner_id):
        """Archives other customers' unconfirmed registrations of ``plate`` in the shop (they never block the owner)."""
        squatters = self.sudo().search([
            ("plate_normalized", "=", plate),
            ("company_id", "=", company_id),
            ("ownership_state", "=", "unconfirmed"),
            ("partner_id", "!=", partner_id or False),
        ])
        for vehicle in squatters:
            vehicle.message_post(body=_("Archived: staff registered plate %s for its confirmed owner.", vehicle.plate_no))
        squatters.write({"active": False})
        # Written to the database now: the owner's row (inserted next, its computed plate flushed later) must find
        # the squatters already inactive, or the partial EXCLUDE constraint sees two active rows at flush time.
        squatters.flush_recordset(["active"])
        return squatters.ids

    def action_confirm_ownership(self):
        """Staff saw the papers: the registration is the owner's (and wins over any unconfirmed duplicate)."""
        if not self.env.su and self.env.context.get("drmoto_actor"):
            actor = get_actor(self.env)
            if actor["kind"] != "staff":
                raise forbidden(_("only staff confirm who owns a vehicle"))
            check_staff_role(self.env, actor, "advisor", _("confirm vehicle ownership"))
        self.filtered(lambda v: v.ownership_state != "confirmed").write({"ownership_state": "confirmed"})
        return {"ids": self.ids, "ownership_state": "confirmed"}

    def button_confirm_ownership(self):
        """The form's button in Odoo's own screens: advisors (and managers) only, as through the BFF. A button returns True."""
        if not self.env.su and not self.env.user.has_group("drmoto_workshop.group_drmoto_advisor"):
            raise forbidden(_("only an advisor confirms who owns a vehicle"))
        self.action_confirm_ownership()
        return True

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
                if "ownership_state" in vals:
                    raise forbidden(_("only staff confirm who owns a vehicle"))
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
