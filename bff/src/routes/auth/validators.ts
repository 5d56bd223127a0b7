import { z } from 'zod';
import { text } from '../common';

export const staffLoginBody = z.object({ login: text(128), password: z.string().min(1).max(256) }).strict();
export type StaffLoginBody = z.infer<typeof staffLoginBody>;

export const wechatLoginBody = z.object({ code: text(256).describe('wx.login() code') }).strict();
export type WechatLoginBody = z.infer<typeof wechatLoginBody>;

export const wechatPhoneBody = z
  .object({ code: text(256).describe('getPhoneNumber button code'), name: text(128).optional().describe('Name for a new customer record') })
  .strict();
export type WechatPhoneBody = z.infer<typeof wechatPhoneBody>;

export const refreshBody = z.object({ refresh_token: z.string().min(10).max(4096) }).strict();
export type RefreshBody = z.infer<typeof refreshBody>;

export const me = z.object({
  kind: z.enum(['staff', 'customer']),
  uid: z.number().int().optional(),
  name: z.string().optional(),
  roles: z.array(z.string()).optional(),
  shop_id: z.number().int().optional(),
  customer_id: z.number().int().nullable().optional(),
  phone_bound: z.boolean().optional(),
});

export const tokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  refresh_token: z.string(),
  refresh_expires_in: z.number().int(),
  user: me,
});
