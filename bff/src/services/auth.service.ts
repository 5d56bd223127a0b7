import { STAFF_ROLES, type Principal, type StaffRole } from '../domain/principal';
import { normalizePhone } from '../domain/normalize';
import { AppError } from '../errors';
import type { IdentityGateway, StaffGateway } from '../integrations/odoo/gateways';
import type { WechatClient } from '../integrations/wechat/client';
import type { TokenPair, TokenService } from './token.service';

export interface Me {
  kind: 'staff' | 'customer';
  uid?: number;
  name?: string;
  roles?: StaffRole[];
  shop_id?: number;
  customer_id?: number | null;
  phone_bound?: boolean;
}

export class AuthService {
  constructor(
    private readonly tokens: TokenService,
    private readonly staff: StaffGateway,
    private readonly identities: IdentityGateway,
    private readonly wechat: WechatClient,
  ) {}

  async staffLogin(login: string, password: string): Promise<TokenPair & { user: Me }> {
    const uid = await this.staff.authenticate(login, password);
    if (!uid) throw new AppError('unauthenticated', 'Wrong login or password.');
    const profile = await this.staff.profile(uid);
    const roles = profile.roles.filter((r): r is StaffRole => (STAFF_ROLES as readonly string[]).includes(r));
    if (roles.length === 0) throw new AppError('forbidden', 'This Odoo user has no workshop role.');
    const principal: Principal = { kind: 'staff', uid, name: profile.name, roles, companyId: profile.company_id };
    return { ...(await this.tokens.issue(principal)), user: this.me(principal) };
  }

  async wechatLogin(code: string): Promise<TokenPair & { user: Me }> {
    const session = await this.wechat.code2Session(code);
    const ident = await this.identities.login(this.wechat.appId, session.openid, session.unionid);
    const principal: Principal = { kind: 'customer', identityId: ident.identity_id, partnerId: ident.partner_id || null };
    return { ...(await this.tokens.issue(principal)), user: this.me(principal) };
  }

  /**
   * Binds the verified phone of WeChat's phone-number flow: links this openid to the customer the
   * advisor already entered with that phone (however it was written), or creates the customer.
   */
  async bindPhone(p: Principal, code: string, name?: string): Promise<TokenPair & { user: Me }> {
    if (p.kind !== 'customer') throw new AppError('forbidden', 'Only customers bind a phone.');
    const { phone } = await this.wechat.phoneNumber(code);
    const normalized = normalizePhone(phone);
    if (!normalized) throw new AppError('unprocessable', 'WeChat returned a phone number we cannot use.', { code: 'DRM_PHONE_INVALID' });
    const ident = await this.identities.openidOf(p.identityId);
    if (!ident) throw new AppError('unauthenticated', 'This login no longer exists.');
    const bound = await this.identities.bindPhone(ident.app_id, ident.openid, normalized, name);
    const principal: Principal = { kind: 'customer', identityId: bound.identity_id, partnerId: bound.partner_id };
    return { ...(await this.tokens.issue(principal)), user: this.me(principal) };
  }

  async refresh(refreshToken: string): Promise<TokenPair & { user: Me }> {
    const p = await this.tokens.useRefresh(refreshToken);
    let principal = p;
    if (p.kind === 'staff') {
      // Roles may have changed in Odoo since the last login.
      const profile = await this.staff.profile(p.uid);
      const roles = profile.roles.filter((r): r is StaffRole => (STAFF_ROLES as readonly string[]).includes(r));
      if (roles.length === 0) throw new AppError('unauthenticated', 'This user no longer has a workshop role.');
      principal = { ...p, roles, name: profile.name, companyId: profile.company_id };
    } else if (p.kind === 'customer') {
      const ident = await this.identities.openidOf(p.identityId);
      if (!ident) throw new AppError('unauthenticated', 'This login no longer exists.');
      principal = { ...p, partnerId: ident.partner_id };
    }
    return { ...(await this.tokens.issue(principal)), user: this.me(principal) };
  }

  me(p: Principal): Me {
    if (p.kind === 'staff') return { kind: 'staff', uid: p.uid, name: p.name, roles: p.roles, shop_id: p.companyId };
    if (p.kind === 'customer') return { kind: 'customer', customer_id: p.partnerId, phone_bound: p.partnerId !== null };
    throw new AppError('unauthenticated', 'Not logged in.');
  }
}
