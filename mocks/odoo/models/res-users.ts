import { MissingError, UserError } from '../errors';
import type { ModelDef } from '../orm/types';
import { actorRoles, forbidden, INTEGRATION_GROUP } from './drmoto-actor';

export const resUsers: ModelDef = {
  name: 'res.users',
  description: 'User',
  order: 'name, login',
  recName: 'name',
  recNamesSearch: ['name', 'login'],
  fields: {
    name: { type: 'char', string: 'Name', required: true },
    login: { type: 'char', string: 'Login', required: true },
    password: { type: 'char', string: 'Password', store: false, compute: () => '' },
    partner_id: { type: 'many2one', string: 'Related Partner', relation: 'res.partner', required: true, ondelete: 'restrict' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', required: true },
    company_ids: { type: 'many2many', string: 'Companies', relation: 'res.company' },
    groups_id: { type: 'many2many', string: 'Groups', relation: 'res.groups' },
    active: { type: 'boolean', string: 'Active', default: true },
    share: {
      type: 'boolean',
      string: 'Share User',
      store: false,
      compute: (env, row) => !env.orm.userGroups(row.id).has('base.group_user'),
    },
    tz: { type: 'char', string: 'Timezone' },
    lang: { type: 'char', string: 'Language', default: 'en_US' },
  },
  sqlConstraints: [{ name: 'login_key', unique: ['login'], message: 'You can not have two users with the same login !' }],
  hooks: {
    beforeCreate: (env, vals) => {
      if (!vals.partner_id) {
        const [pid] = env.model('res.partner').sudo().create([{ name: vals.name ?? vals.login, email: vals.login, company_id: vals.company_id ?? false }]);
        vals.partner_id = pid;
      }
      if (typeof vals.password === 'string') {
        // kept aside in afterCreate via the login (the column is never readable)
        pendingPasswords.set(String(vals.login), vals.password);
      }
    },
    afterCreate: (env, rows) => {
      for (const r of rows) {
        const pw = pendingPasswords.get(String(r.login));
        if (pw !== undefined) env.orm.passwords.set(r.id, pw);
        pendingPasswords.delete(String(r.login));
      }
    },
    afterWrite: (env, rows, vals) => {
      if (typeof vals.password === 'string' && vals.password) for (const r of rows) env.orm.passwords.set(r.id, vals.password);
    },
  },
  methods: {
    drmoto_staff_profile: {
      api: 'model',
      params: [{ name: 'uid' }],
      fn: (env, [uid]) => {
        if (typeof uid !== 'number' || !Number.isInteger(uid)) throw new UserError('DRM_VALIDATION: uid must be a user id');
        if (uid !== env.uid && !env.hasGroup(INTEGRATION_GROUP)) throw forbidden("only the integration user may read another user's profile");
        const users = env.model('res.users').sudo();
        const user = users.row(uid);
        if (!user || user.active === false) throw new MissingError(`DRM_NOT_FOUND: no active user with id ${uid}`);
        const share = !env.orm.userGroups(uid).has('base.group_user');
        return {
          uid: user.id,
          name: user.name,
          login: user.login,
          partner_id: user.partner_id,
          company_id: user.company_id,
          company_ids: users.readValue(user, 'company_ids'),
          roles: share ? [] : actorRoles(env, uid),
        };
      },
    },
  },
  acl: { 'base.group_user': 'r', 'base.group_erp_manager': 'rwcu' },
};

const pendingPasswords = new Map<string, string>();
