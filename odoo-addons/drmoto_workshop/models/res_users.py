from odoo import _, api, models
from odoo.exceptions import MissingError, UserError

from .drmoto_actor import INTEGRATION_GROUP, actor_roles, forbidden


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def drmoto_staff_profile(self, uid):
        """Who a staff user is for the BFF: ids, companies and workshop roles.

        Returns ``{"uid", "name", "login", "partner_id", "company_id", "company_ids",
        "roles"}``; ``roles`` is ``[]`` for a user outside the workshop groups.
        Only the integration user may ask about someone else.
        """
        if not isinstance(uid, int) or isinstance(uid, bool):
            raise UserError("DRM_VALIDATION: " + _("uid must be a user id"))
        if uid != self.env.uid and not self.env.user.has_group(INTEGRATION_GROUP):
            raise forbidden(_("only the integration user may read another user's profile"))
        user = self.sudo().browse(uid).exists()
        if not user or not user.active:
            raise MissingError("DRM_NOT_FOUND: " + _("no active user with id %s", uid))
        return {
            "uid": user.id,
            "name": user.name,
            "login": user.login,
            "partner_id": user.partner_id.id,
            "company_id": user.company_id.id,
            "company_ids": user.company_ids.ids,
            "roles": [] if user.share else actor_roles(self.env, user.id),
        }
