/** drmoto.wechat.identity as odoo-addons/drmoto_workshop/models/drmoto_wechat_identity.py */
import { UserError } from '../errors';
import type { Env } from '../orm/orm';
import type { ModelDef } from '../orm/types';
import { normalizePhone } from '../normalize';
import { findCustomer } from './res-partner';

function checkText(values: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'string' || !value.trim()) throw new UserError(`DRM_VALIDATION: ${key} must be a non-empty string`);
  }
}

function getOrCreate(env: Env, appId: string, openid: string, unionid: unknown = false): number {
  const identities = env.model('drmoto.wechat.identity');
  const [found] = identities._search(
    [
      ['app_id', '=', appId],
      ['openid', '=', openid],
    ],
    { limit: 1 },
  );
  if (found === undefined) {
    const [id] = identities.create([{ app_id: appId, openid, unionid: unionid || false }]);
    return id!;
  }
  if (unionid && identities.row(found)!.unionid !== unionid) identities.write([found], { unionid });
  return found;
}

/** identity.partner_id.filtered("active") */
function activePartner(env: Env, identityId: number): number | false {
  const pid = env.model('drmoto.wechat.identity').row(identityId)!.partner_id as number | null;
  if (pid === null) return false;
  const p = env.model('res.partner').sudo().row(pid);
  return p && p.active !== false ? pid : false;
}

export const drmotoWechatIdentity: ModelDef = {
  name: 'drmoto.wechat.identity',
  description: 'WeChat identity',
  recName: 'openid',
  order: 'id desc',
  fields: {
    app_id: { type: 'char', string: 'App ID', required: true, index: true },
    openid: { type: 'char', string: 'OpenID', required: true, index: true },
    unionid: { type: 'char', string: 'UnionID', index: true },
    partner_id: {
      type: 'many2one',
      string: 'Customer',
      relation: 'res.partner',
      index: true,
      ondelete: 'set null',
      help: 'Empty until the customer binds a verified phone number.',
    },
  },
  sqlConstraints: [{ name: 'app_openid_uniq', unique: ['app_id', 'openid'], message: 'DRM_DUP_KEY: this WeChat identity already exists' }],
  methods: {
    drmoto_login: {
      api: 'model',
      params: [{ name: 'app_id' }, { name: 'openid' }, { name: 'unionid', default: false }],
      fn: (env, [appId, openid, unionid]) => {
        checkText({ app_id: appId, openid });
        const id = getOrCreate(env, appId as string, openid as string, unionid);
        return { identity_id: id, partner_id: activePartner(env, id) };
      },
    },
    drmoto_bind_phone: {
      api: 'model',
      params: [{ name: 'app_id' }, { name: 'openid' }, { name: 'phone' }, { name: 'name', default: false }],
      fn: (env, [appId, openid, phone, name]) => {
        checkText({ app_id: appId, openid });
        const phoneNormalized = normalizePhone(phone);
        if (!phoneNormalized) throw new UserError('DRM_PHONE_INVALID: the phone number is neither a CN mobile nor an E.164 number');
        const id = getOrCreate(env, appId as string, openid as string);
        let customer = findCustomer(env, phoneNormalized);
        const bound = activePartner(env, id);
        if (bound !== false) {
          if (bound === customer) return { identity_id: id, partner_id: bound, created: false };
          throw new UserError('DRM_IDENTITY_BOUND: this WeChat identity is already bound to another customer');
        }
        let created = false;
        if (customer === undefined) {
          const display = typeof name === 'string' ? name.trim() : '';
          [customer] = env
            .withContext({ drmoto_actor: false })
            .model('res.partner')
            .create([{ name: display || `WeChat user ${phoneNormalized.slice(-4)}`, phone: phoneNormalized, drmoto_is_customer: true, customer_rank: 1 }]);
          created = true;
        }
        env.model('drmoto.wechat.identity').write([id], { partner_id: customer! });
        return { identity_id: id, partner_id: customer!, created };
      },
    },
  },
  acl: {
    'drmoto_workshop.group_drmoto_manager': 'r',
    'drmoto_workshop.group_drmoto_integration': 'rwc',
  },
};
