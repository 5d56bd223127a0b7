from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .drmoto_normalize import normalize_phone
from .drmoto_compat import sql_constraints


@sql_constraints
class DrmotoWechatIdentity(models.Model):
    _name = "drmoto.wechat.identity"
    _description = "WeChat identity"
    _rec_name = "openid"
    _order = "id desc"

    app_id = fields.Char(string="App ID", required=True, index=True)
    openid = fields.Char(string="OpenID", required=True, index=True)
    unionid = fields.Char(string="UnionID", index="btree_not_null")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        ondelete="set null",
        help="Empty until the customer binds a verified phone number.",
    )

    _sql_constraints = [
        ("app_openid_uniq", "unique(app_id, openid)", "DRM_DUP_KEY: this WeChat identity already exists"),
    ]

    @api.model
    def _drmoto_check_text(self, **values):
        for key, value in values.items():
            if not isinstance(value, str) or not value.strip():
                raise UserError("DRM_VALIDATION: " + _("%s must be a non-empty string", key))

    @api.model
    def _drmoto_get_or_create(self, app_id, openid, unionid=False):
        identity = self.search([("app_id", "=", app_id), ("openid", "=", openid)], limit=1)
        if not identity:
            # a concurrent twin fails on app_openid_uniq (DRM_DUP_KEY) and finds this one on retry
            return self.create({"app_id": app_id, "openid": openid, "unionid": unionid or False})
        if unionid and identity.unionid != unionid:
            identity.unionid = unionid
        return identity

    @api.model
    def drmoto_login(self, app_id, openid, unionid=False):
        """Get or create the identity of a mini-program user.

        Returns ``{"identity_id": int, "partner_id": int | False}`` (False until a phone is
        bound, or when the bound customer was archived).
        """
        self._drmoto_check_text(app_id=app_id, openid=openid)
        identity = self._drmoto_get_or_create(app_id, openid, unionid)
        partner = identity.partner_id.filtered("active")
        return {"identity_id": identity.id, "partner_id": partner.id or False}

    @api.model
    def drmoto_bind_phone(self, app_id, openid, phone, name=False):
        """Link the identity to the active customer with this verified phone (the one
        the advisor entered), creating the customer when there is none.

        Returns ``{"identity_id": int, "partner_id": int, "created": bool}`` where
        ``created`` says a customer was created by this call. Already bound to the same
        customer -> the same answer; bound to another active customer -> DRM_IDENTITY_BOUND.
        """
        self._drmoto_check_text(app_id=app_id, openid=openid)
        phone_normalized = normalize_phone(phone)
        if not phone_normalized:
            raise UserError(
                "DRM_PHONE_INVALID: " + _("the phone number is neither a CN mobile nor an E.164 number")
            )
        identity = self._drmoto_get_or_create(app_id, openid)
        partners = self.env["res.partner"]
        customer = partners._drmoto_find_customer(phone_normalized)
        bound = identity.partner_id.filtered("active")
        if bound:
            if bound == customer:
                return {"identity_id": identity.id, "partner_id": bound.id, "created": False}
            raise UserError(
                "DRM_IDENTITY_BOUND: " + _("this WeChat identity is already bound to another customer")
            )
        created = False
        if not customer:
            display = (name or "").strip() if isinstance(name, str) else ""
            # the checks above are the guard; the actor (a customer logging in) may not
            # create partners through the generic create
            customer = partners.with_context(drmoto_actor=False).create({
                "name": display or _("WeChat user %s", phone_normalized[-4:]),
                "phone": phone_normalized,
                "drmoto_is_customer": True,
                "customer_rank": 1,
            })
            created = True
        identity.partner_id = customer
        return {"identity_id": identity.id, "partner_id": customer.id, "created": created}
