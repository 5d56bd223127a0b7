import { Router, type RequestHandler } from 'express';
import type { RouteRegistry } from '../../http/route';
import type { AuthService } from '../../services/auth.service';
import { me, refreshBody, staffLoginBody, tokenResponse, wechatLoginBody, wechatPhoneBody } from './validators';

/** `limits.perIp` guards every auth call, `limits.staffLogin` (per login and address, failures only) the staff login. */
export function authRoutes(reg: RouteRegistry, auth: AuthService, limits: { perIp: RequestHandler; staffLogin: RequestHandler[] }): Router {
  const r = Router();
  r.use(['/auth/staff/login', '/auth/wechat/login', '/auth/wechat/phone', '/auth/refresh'], limits.perIp);
  r.post('/auth/staff/login', ...limits.staffLogin);
  const tags = ['auth'];

  reg.add(r, {
    method: 'post',
    path: '/auth/staff/login',
    rateLimited: true,
    summary: 'Staff login with Odoo credentials; roles come from Odoo groups',
    tags,
    access: 'public',
    body: staffLoginBody,
    responses: { 200: { description: 'Tokens', schema: tokenResponse } },
    handler: async ({ body }, req, res) => {
      res.json(await auth.staffLogin(body.login, body.password, req.ip));
    },
  });

  reg.add(r, {
    method: 'post',
    path: '/auth/wechat/login',
    rateLimited: true,
    summary: 'Customer login with a mini-program wx.login() code (jscode2session)',
    tags,
    access: 'public',
    body: wechatLoginBody,
    responses: { 200: { description: 'Tokens; `user.phone_bound` is false until the phone is bound', schema: tokenResponse } },
    handler: async ({ body }, _req, res) => {
      res.json(await auth.wechatLogin(body.code));
    },
  });

  reg.add(r, {
    method: 'post',
    path: '/auth/wechat/phone',
    rateLimited: true,
    summary: "Bind the customer's verified phone (getPhoneNumber code); links to the customer entered by the advisor",
    tags,
    access: { customer: 'any' },
    body: wechatPhoneBody,
    responses: { 200: { description: 'New tokens carrying the customer id', schema: tokenResponse } },
    handler: async ({ body, principal }, _req, res) => {
      res.json(await auth.bindPhone(principal, body.code, body.name));
    },
  });

  reg.add(r, {
    method: 'post',
    path: '/auth/refresh',
    rateLimited: true,
    summary: 'Exchange a refresh token for new tokens (rotation: each refresh token works once)',
    tags,
    access: 'public',
    body: refreshBody,
    responses: { 200: { description: 'Tokens', schema: tokenResponse } },
    handler: async ({ body }, _req, res) => {
      res.json(await auth.refresh(body.refresh_token));
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/auth/me',
    summary: 'Who the token belongs to',
    tags,
    access: { staff: 'any', customer: 'any' },
    responses: { 200: { description: 'The principal', schema: me } },
    handler: async ({ principal }, _req, res) => {
      res.json(auth.me(principal));
    },
  });
  return r;
}
