"""The acting principal of a call (context key ``drmoto_actor``).

The BFF calls as ONE integration user and says in the context who acts: a staff
user, a customer (partner id) or the system. Only members of
``group_drmoto_integration`` may speak for someone else; for anyone else the
key is ignored and the calling user is the actor.
"""
import logging

from odoo import _
from odoo.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)

GROUP_PREFIX = "drmoto_workshop.group_drmoto_"
INTEGRATION_GROUP = GROUP_PREFIX + "integration"
# role name in the BFF -> group xml id, in the order roles are reported
ROLE_GROUPS = {
    "technician": GROUP_PREFIX + "technician",
    "advisor": GROUP_PREFIX + "advisor",
    "keeper": GROUP_PREFIX + "keeper",
    "cashier": GROUP_PREFIX + "cashier",
    "manager": GROUP_PREFIX + "manager",
}


class InternalToken:
    """A context value that only code running in this server process can produce.

    The addon's guards are unlocked by a context key whose value must be one of the
    module-level tokens below, compared by identity (``is``). JSON-RPC and XML-RPC carry
    plain data only (strings, numbers, lists, dicts...), so a remote caller who puts
    ``{"drmoto_wo_action": True}`` (or any other value) in ``kwargs.context`` can't
    satisfy the check. Copies keep the identity (``copy``/``deepcopy`` return the token).
    """

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "<drmoto internal token %s>" % self.name

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def has_token(env, key, token):
    """``env``'s context carries ``token`` (the very object) under ``key``."""
    return env.context.get(key) is token


def _user_has_group(env, uid, xmlid):
    return env["res.users"].sudo().browse(uid).has_group(xmlid)


def get_actor(env):
    """Return ``{"kind": "staff", "uid": int}``, ``{"kind": "customer",
    "partner_id": int}`` or ``{"kind": "system"}``."""
    caller = {"kind": "staff", "uid": env.uid}
    raw = env.context.get("drmoto_actor")
    if not raw:
        return caller
    if not _user_has_group(env, env.uid, INTEGRATION_GROUP):
        return caller
    if not isinstance(raw, dict):
        raise UserError("DRM_VALIDATION: " + _("drmoto_actor must be an object"))
    kind = raw.get("kind")
    if kind == "system":
        return {"kind": "system"}
    if kind == "staff":
        uid = raw.get("uid")
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise UserError("DRM_VALIDATION: " + _("drmoto_actor.uid must be a user id"))
        return {"kind": "staff", "uid": uid}
    if kind == "customer":
        partner_id = raw.get("partner_id")
        if not isinstance(partner_id, int) or isinstance(partner_id, bool) or partner_id <= 0:
            raise UserError("DRM_VALIDATION: " + _("drmoto_actor.partner_id must be a partner id"))
        return {"kind": "customer", "partner_id": partner_id}
    raise UserError("DRM_VALIDATION: " + _("unknown drmoto_actor kind %r", kind))


def forbidden(message):
    """DRM_FORBIDDEN is raised as an AccessError: faultCode 4 over XML-RPC,
    odoo.exceptions.AccessError over JSON-RPC; both map to 403 even without the code.
    The code stays outside the translated text so it survives any language."""
    return AccessError("DRM_FORBIDDEN: " + message)


def check_staff_role(env, actor, role, what):
    """A staff actor the integration user speaks for must hold ``role``.

    The caller acting as itself is governed by the ACLs and record rules alone.
    """
    if actor["kind"] != "staff" or actor["uid"] == env.uid:
        return
    user = env["res.users"].sudo().browse(actor["uid"]).exists()
    if not user or not user.active or not user.has_group(ROLE_GROUPS[role]):
        raise forbidden(_("staff user %s may not %s", actor["uid"], what))


def actor_roles(env, uid):
    user = env["res.users"].sudo().browse(uid)
    return [role for role, xmlid in ROLE_GROUPS.items() if user.has_group(xmlid)]
