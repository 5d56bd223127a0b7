"""Photos and videos of a work order (docs/odoo-contract.md "Media", issue 6).

The files live in object storage (S3); Odoo keeps their metadata, written by ONE method,
``drmoto.work.order.action_add_media(request_key, vals)``, which the BFF calls only after it
has checked the uploaded object (size, type, magic number). Check order:
1. vals valid (``DRM_VALIDATION``), then the request key: a media row of this work order with
   this key -> same vals: returned with ``replayed: True``; else ``DRM_DUP_KEY``.
2. actor: staff advisor or technician (or manager) of the shop; the customer owning the work
   order, for ``damage`` and ``other`` only; never the system (``DRM_FORBIDDEN``).
3. state: not on a closed or cancelled work order (``DRM_WO_STATE``).
Adding media does not write the work order (its revision stays).

A shop may require a number of check-in photos before ``checkin -> diagnosing``
(``res.company.drmoto_min_checkin_photos``, 0 = off): ``action_start_diagnosis`` raises
``DRM_MEDIA_REQUIRED`` below it.
"""
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .drmoto_actor import forbidden, get_actor
from .drmoto_work_order import _is_int, _staff_has_role, _validation
from .drmoto_compat import sql_constraints

MEDIA_KINDS = [
    ("checkin_photo", "Check-in photo"),
    ("damage", "Damage"),
    ("repair_evidence", "Repair evidence"),
    ("other", "Other"),
]
MEDIA_KIND_VALUES = [value for value, _label in MEDIA_KINDS]
CUSTOMER_KINDS = ("damage", "other")
NO_MEDIA_STATES = ("closed", "cancelled")
MEDIA_KEYS = frozenset({"object_key", "name", "content_type", "size", "kind"})
# writable after creation (by managers, the ACL decides): the description, not the evidence
MEDIA_EDITABLE = frozenset({"name", "kind"})
MAX_SIZE = 2147483647
MAX_KEY_LENGTH = 1024
BASE_URL_PARAM = "drmoto_workshop.media_base_url"


@sql_constraints
class DrmotoWorkOrderMedia(models.Model):
    _name = "drmoto.work.order.media"
    _description = "Work order photo or video"
    _order = "uploaded_at, id"

    work_order_id = fields.Many2one(
        "drmoto.work.order", string="Work order", required=True, index=True, ondelete="restrict", readonly=True,
    )
    company_id = fields.Many2one(related="work_order_id.company_id", string="Shop", store=True, index=True)
    name = fields.Char(string="File name", required=True)
    object_key = fields.Char(string="Storage key", required=True, readonly=True, index=True,
                             help="The object's key in the media bucket: work-orders/<work order id>/...")
    content_type = fields.Char(required=True, readonly=True)
    size = fields.Integer(string="Size (bytes)", required=True, readonly=True)
    kind = fields.Selection(MEDIA_KINDS, required=True, default="other")
    uploaded_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    user_id = fields.Many2one(
        "res.users", string="Uploaded by", readonly=True, ondelete="restrict",
        help="The Odoo user that recorded it (the BFF's integration user for uploads through the apps).",
    )
    actor_kind = fields.Selection(
        [("staff", "Staff"), ("customer", "Customer"), ("system", "System")], required=True, readonly=True,
    )
    actor_user_id = fields.Many2one("res.users", string="Acting staff", readonly=True, ondelete="restrict")
    actor_partner_id = fields.Many2one("res.partner", string="Acting customer", readonly=True, ondelete="restrict")
    request_key = fields.Char(required=True, readonly=True)
    trace_id = fields.Char(readonly=True)
    is_image = fields.Boolean(compute="_compute_preview")
    preview_url = fields.Char(
        compute="_compute_preview",
        help="The system parameter drmoto_workshop.media_base_url followed by the key: set it to a URL that serves "
             "the bucket to Odoo users (a CDN or proxy); without it the gallery shows file names only.",
    )

    _sql_constraints = [
        ("object_key_uniq", "unique(object_key)", "DRM_DUP_KEY: this object is already recorded"),
        (
            "work_order_request_key_uniq",
            "unique(work_order_id, request_key)",
            "DRM_DUP_KEY: this request key already recorded media on this work order",
        ),
        ("size_positive", "CHECK(size > 0)", "DRM_VALIDATION: a media file can't be empty"),
    ]

    @api.depends("content_type", "object_key")
    def _compute_preview(self):
        base = (self.env["ir.config_parameter"].sudo().get_param(BASE_URL_PARAM) or "").rstrip("/")
        for media in self:
            media.is_image = (media.content_type or "").startswith("image/")
            media.preview_url = "%s/%s" % (base, media.object_key) if base and media.object_key else False

    def write(self, vals):
        locked = set(vals) - MEDIA_EDITABLE
        if locked:
            raise forbidden(_("media metadata can't be changed (%s)", ", ".join(sorted(locked))))
        return super().write(vals)


@sql_constraints
class ResCompanyMedia(models.Model):
    _inherit = "res.company"

    drmoto_min_checkin_photos = fields.Integer(
        string="Check-in photos required", default=0,
        help="Photos of kind 'Check-in photo' a work order needs before its diagnosis starts (0 = no requirement).",
    )

    _sql_constraints = [
        ("drmoto_min_checkin_photos_positive", "CHECK(drmoto_min_checkin_photos >= 0)",
         "DRM_VALIDATION: the number of check-in photos can't be negative"),
    ]


class DrmotoWorkOrderMediaLink(models.Model):
    _inherit = "drmoto.work.order"

    media_ids = fields.One2many("drmoto.work.order.media", "work_order_id", string="Photos & videos", readonly=True)
    media_count = fields.Integer(compute="_compute_media_count", compute_sudo=True, string="Media")
    checkin_photo_count = fields.Integer(compute="_compute_media_count", compute_sudo=True, string="Check-in photos")

    @api.depends("media_ids", "media_ids.kind")
    def _compute_media_count(self):
        for wo in self:
            wo.media_count = len(wo.media_ids)
            wo.checkin_photo_count = len(wo.media_ids.filtered(lambda m: m.kind == "checkin_photo"))

    def _drmoto_media_vals(self, vals):
        """The BFF's media vals, checked: ``{object_key, name, content_type, size, kind?}``."""
        self.ensure_one()
        if not isinstance(vals, dict):
            raise _validation(_("vals must be an object"))
        unknown = sorted(set(vals) - MEDIA_KEYS)
        if unknown:
            raise _validation(_("unknown fields: %s", ", ".join(unknown)))
        key = vals.get("object_key")
        prefix = "work-orders/%s/" % self.id
        if (
            not isinstance(key, str) or not key.startswith(prefix) or len(key) <= len(prefix)
            or len(key) > MAX_KEY_LENGTH or ".." in key.split("/")
        ):
            raise _validation(_("object_key must be a key under %s", prefix))
        name = vals.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise _validation(_("name must be a file name of 1 to 255 characters"))
        content_type = vals.get("content_type")
        if not isinstance(content_type, str) or not content_type.startswith(("image/", "video/")):
            raise _validation(_("content_type must be an image/* or video/* type"))
        size = vals.get("size")
        if not _is_int(size) or not 0 < size <= MAX_SIZE:
            raise _validation(_("size must be an integer from 1 to %s", MAX_SIZE))
        kind = vals.get("kind") or "other"
        if kind not in MEDIA_KIND_VALUES:
            raise _validation(_("kind must be one of %s", ", ".join(MEDIA_KIND_VALUES)))
        return {"object_key": key, "name": name.strip(), "content_type": content_type, "size": size, "kind": kind}

    def action_add_media(self, request_key=False, vals=False):
        """Record one uploaded photo or video. Returns ``{"id", "media_id", "replayed"}``."""
        wo = self._drmoto_action_record()
        key = self._drmoto_key(request_key)
        clean = wo._drmoto_media_vals(vals)
        Media = self.env["drmoto.work.order.media"].sudo()
        existing = Media.search([("work_order_id", "=", wo.id), ("request_key", "=", key)], limit=1)
        if existing:
            if any(existing[field] != value for field, value in clean.items()):
                raise UserError(
                    "DRM_DUP_KEY: " + _("request key %s recorded other media on work order %s", key, wo.name)
                )
            return {"id": wo.id, "media_id": existing.id, "replayed": True}

        actor = get_actor(self.env)
        if actor["kind"] == "customer":
            if wo.partner_id.id != actor["partner_id"]:
                raise forbidden(_("work order %s is not this customer's", wo.name))
            if clean["kind"] not in CUSTOMER_KINDS:
                raise forbidden(_("a customer may not add %s media", clean["kind"]))
        elif actor["kind"] == "system":
            raise forbidden(_("the system may not add media"))
        elif not _staff_has_role(self.env, actor["uid"], ("advisor", "technician", "manager"), wo.company_id):
            raise forbidden(_("staff user %s may not add media", actor["uid"]))
        if wo.state in NO_MEDIA_STATES:
            raise UserError(
                "DRM_WO_STATE: " + _("work order %s is in state '%s'; cannot add media", wo.name, wo.state)
            )
        trace = self.env.context.get("drmoto_trace_id")
        media = Media.create(dict(
            clean,
            work_order_id=wo.id,
            user_id=self.env.uid,
            actor_kind=actor["kind"],
            actor_user_id=actor.get("uid", False),
            actor_partner_id=actor.get("partner_id", False),
            request_key=key,
            trace_id=str(trace)[:255] if trace else False,
        ))
        return {"id": wo.id, "media_id": media.id, "replayed": False}

    def _drmoto_check_checkin_media(self):
        """Before ``checkin -> diagnosing``: the shop's minimum of check-in photos."""
        self.ensure_one()
        required = self.company_id.drmoto_min_checkin_photos
        if required <= 0:
            return
        count = self.env["drmoto.work.order.media"].sudo().search_count(
            [("work_order_id", "=", self.id), ("kind", "=", "checkin_photo")]
        )
        if count < required:
            raise UserError(
                "DRM_MEDIA_REQUIRED: "
                + _("work order %s has %s check-in photo(s); %s requires %s before the diagnosis",
                    self.name, count, self.company_id.name, required)
            )

    def action_drmoto_view_media(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("drmoto_workshop.drmoto_work_order_media_action")
        action["domain"] = [("work_order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action
