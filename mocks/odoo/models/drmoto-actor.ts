/** The acting principal of a call (context key `drmoto_actor`), as odoo-addons/drmoto_workshop/models/drmoto_actor.py. */
import { AccessError, UserError } from '../errors';
import type { Env } from '../orm/orm';

export const GROUP_PREFIX = 'drmoto_workshop.group_drmoto_';
export const INTEGRATION_GROUP = `${GROUP_PREFIX}integration`;
/** role name in the BFF → group xml id, in the order roles are reported */
export const ROLE_GROUPS = {
  technician: `${GROUP_PREFIX}technician`,
  advisor: `${GROUP_PREFIX}advisor`,
  keeper: `${GROUP_PREFIX}keeper`,
  cashier: `${GROUP_PREFIX}cashier`,
  manager: `${GROUP_PREFIX}manager`,
} as const;
export type Role = keyof typeof ROLE_GROUPS;

export type Actor = { kind: 'staff'; uid: number } | { kind: 'customer'; partner_id: number } | { kind: 'system' };

const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

export function getActor(env: Env): Actor {
  const caller: Actor = { kind: 'staff', uid: env.uid };
  const raw = env.context.drmoto_actor;
  if (!raw) return caller;
  if (!env.hasGroup(INTEGRATION_GROUP)) return caller;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new UserError('DRM_VALIDATION: drmoto_actor must be an object');
  const a = raw as Record<string, unknown>;
  if (a.kind === 'system') return { kind: 'system' };
  if (a.kind === 'staff') {
    if (!isPositiveInt(a.uid)) throw new UserError('DRM_VALIDATION: drmoto_actor.uid must be a user id');
    return { kind: 'staff', uid: a.uid };
  }
  if (a.kind === 'customer') {
    if (!isPositiveInt(a.partner_id)) throw new UserError('DRM_VALIDATION: drmoto_actor.partner_id must be a partner id');
    return { kind: 'customer', partner_id: a.partner_id };
  }
  throw new UserError(`DRM_VALIDATION: unknown drmoto_actor kind ${pyReprKind(a.kind)}`);
}

function pyReprKind(v: unknown): string {
  if (v === undefined || v === null) return 'None';
  return typeof v === 'string' ? `'${v}'` : String(v);
}

/** DRM_FORBIDDEN is an AccessError in the addon: faultCode 4 / odoo.exceptions.AccessError. */
export function forbidden(message: string): AccessError {
  return new AccessError(`DRM_FORBIDDEN: ${message}`);
}

/** A staff actor the integration user speaks for must hold `role`; the caller acting as itself is left to the ACLs. */
export function checkStaffRole(env: Env, actor: Actor, role: Role, what: string): void {
  if (actor.kind !== 'staff' || actor.uid === env.uid) return;
  const user = env.orm.table('res.users').rows.get(actor.uid);
  if (!user || user.active === false || !env.orm.userGroups(actor.uid).has(ROLE_GROUPS[role])) {
    throw forbidden(`staff user ${actor.uid} may not ${what}`);
  }
}

export function actorRoles(env: Env, uid: number): Role[] {
  const groups = env.orm.userGroups(uid);
  return (Object.keys(ROLE_GROUPS) as Role[]).filter((r) => groups.has(ROLE_GROUPS[r]));
}

/** `not self.env.su and self.env.context.get("drmoto_actor")` */
export const actorGuarded = (env: Env): boolean => !env.su && Boolean(env.context.drmoto_actor);
