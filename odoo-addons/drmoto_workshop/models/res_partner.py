from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .drmoto_actor import check_staff_role, forbidden, get_actor
from .drmoto_normalize import normalize_phone
from .drmoto_compat import sql_constraints

UPSERT_KEYS = ("name", "phone", "email", "street", "city", "comment")
# what a customer may change on their own partner
CUSTOMER_WRITABLE = frozenset(UPSERT_KEYS)


@sql_constraints
class ResPartner(models.Model):
    _inherit = "res.partner"

    drmoto_is_customer = fields.Boolean(
        string="Workshop customer",
        index=True,
        copy=False,
        help="A customer of the workshop: identified by a phone number unique among active customers.",
    )
    drmoto_phone_normalized = fields.Char(
        string="Normalized phone",
        compute="_compute_drmoto_phone_normalized",
        store=True,
        index=True,
        help="The phone as a CN mobile (13800138000) or E.164 (+14155552671); empty when invalid.",
    )
    drmoto_vehicle_ids = fields.One2many("drmoto.vehicle", "partner_id", string="Vehicles")
    drmoto_vehicle_count = fields.Integer(compute="_compute_drmoto_vehicle_count", string="Vehicle count")
    drmoto_wechat_identity_ids = fields.One2many(
        "drmoto.wechat.identity", "partner_id", string="WeChat identities"
    )

    # A partial unique constraint: _sql_constraints can't hold a partial UNIQUE, but an
    # EXCLUDE ... WHERE is a table constraint, so Odoo creates it, records its message in
    # ir.model.constraint and turns a violation into a ValidationError carrying the message.
    _sql_constraints = [
        (
            "drmoto_phone_customer_uniq",
            "EXCLUDE (drmoto_phone_normalized WITH =) WHERE (drmoto_is_customer AND active)",
            "DRM_DUP_PHONE: another customer already has this phone number",
        ),
    ]

    @api.depends("phone")
    def _compute_drmoto_phone_normalized(self):
        for partner in self:
            partner.drmoto_phone_normalized = normalize_phone(partner.phone) or False

    @api.depends("drmoto_vehicle_ids")
    def _compute_drmoto_vehicle_count(self):
        counts = {
            partner.id: count
            for partner, count in self.env["drmoto.vehicle"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        }
        for partner in self:
            partner.drmoto_vehicle_count = counts.get(partner.id, 0)

    @api.constrains("phone", "drmoto_is_customer")
    def _check_drmoto_phone(self):
        for partner in self:
            if partner.drmoto_is_customer and partner.phone and not partner.drmoto_phone_normalized:
                # the number itself stays out of the message: phones are masked in logs
                raise ValidationError(
                    "DRM_PHONE_INVALID: " + _("the phone number is neither a CN mobile nor an E.164 number")
                )

    # ------------------------------------------------------------------
    # acting principal guards
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and self.env.context.get("drmoto_actor"):
            actor = get_actor(self.env)
            if actor["kind"] == "customer":
                raise forbidden(_("a customer may not create contacts"))
            if any(vals.get("drmoto_is_customer") for vals in vals_list):
                check_staff_role(self.env, actor, "advisor", _("create customers"))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and self.env.context.get("drmoto_actor"):
            actor = get_actor(self.env)
            if actor["kind"] == "customer":
                if any(partner.id != actor["partner_id"] for partner in self):
                    raise forbidden(_("a customer may only change their own details"))
                if set(vals) - CUSTOMER_WRITABLE:
                    raise forbidden(
                        _("a customer may only change %s", ", ".join(sorted(CUSTOMER_WRITABLE)))
                    )
            elif "drmoto_is_customer" in vals or any(self.mapped("drmoto_is_customer")):
                check_staff_role(self.env, actor, "advisor", _("change customers"))
        return super().write(vals)

    def unlink(self):
        if not self.env.su and self.env.context.get("drmoto_actor"):
            actor = get_actor(self.env)
            if actor["kind"] == "customer":
                raise forbidden(_("a customer may not delete contacts"))
            if any(self.mapped("drmoto_is_customer")):
                check_staff_role(self.env, actor, "manager", _("delete customers"))
        return super().unlink()

    # ------------------------------------------------------------------
    # public API (called by the BFF)
    # ------------------------------------------------------------------

    @api.model
    def _drmoto_find_customer(self, phone_normalized):
        """The active customer with this normalized phone (at most one: the constraint)."""
        return self.search(
            [("drmoto_is_customer", "=", True), ("drmoto_phone_normalized", "=", phone_normalized)],
            limit=1,
        )

    @api.model
    def drmoto_upsert_customer(self, vals):
        """Find the active customer by phone or create one.

        Returns ``{"id": int, "created": bool}``. An existing customer is never renamed;
        only its empty fields are filled from ``vals``. A concurrent twin fails on
        ``drmoto_phone_customer_uniq`` (DRM_DUP_PHONE) and finds this one on retry.
        """
        if not isinstance(vals, dict):
            raise UserError("DRM_VALIDATION: " + _("vals must be an object"))
        unknown = sorted(set(vals) - set(UPSERT_KEYS))
        if unknown:
            raise UserError("DRM_VALIDATION: " + _("unknown fields: %s", ", ".join(unknown)))
        actor = get_actor(self.env)
        if actor["kind"] != "staff":
            raise forbidden(_("only staff may create customers"))
        check_staff_role(self.env, actor, "advisor", _("create customers"))

        phone = normalize_phone(vals.get("phone"))
        if not phone:
            raise UserError(
                "DRM_PHONE_INVALID: " + _("the phone number is neither a CN mobile nor an E.164 number")
            )
        existing = self._drmoto_find_customer(phone)
        if existing:
            fill = {
                key: vals[key]
                for key in ("email", "street", "city", "comment")
                if vals.get(key) and not existing[key]
            }
            if fill:
                existing.write(fill)
            return {"id": existing.id, "created": False}

        name = (vals.get("name") or "").strip()
        if not name:
            raise UserError("DRM_VALIDATION: " + _("a new customer needs a name"))
        create_vals = {key: value for key, value in vals.items() if value not in (None, False, "")}
        create_vals.update(name=name, drmoto_is_customer=True, customer_rank=1)
        partner = self.create(create_vals)
        return {"id": partner.id, "created": True}

    def action_drmoto_view_vehicles(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("drmoto_workshop.drmoto_vehicle_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
