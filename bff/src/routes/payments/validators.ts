import { z } from 'zod';
import { plainInt, text } from '../common';

export const paymentOrderView = z.object({
  id: z.number().int(),
  out_trade_no: z.string(),
  work_order_id: z.number().int(),
  channel: z.string(),
  amount: z.number().int().describe('minor units'),
  currency: z.string(),
  status: z.enum(['open', 'paid', 'closed', 'expired', 'failed']),
  expires_at: z.string(),
  paid_at: z.string().nullable(),
  created_at: z.string(),
});

export const requestPayment = z.object({ timeStamp: z.string(), nonceStr: z.string(), package: z.string(), signType: z.literal('RSA'), paySign: z.string() });
export const wechatPaymentResult = z.object({ payment_order: paymentOrderView, request_payment: requestPayment.describe('pass to wx.requestPayment') });

export const ledgerView = z.object({
  seq: z.number().int(),
  at: z.string(),
  kind: z.string(),
  channel: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  work_order_id: z.number().int().nullable(),
  provider_ref: z.string(),
  reason: z.string().nullable(),
});
export const workOrderPayments = z.object({ orders: z.array(paymentOrderView), ledger: z.array(ledgerView), paid: z.number().int(), currency: z.string().nullable() });
export const paymentIdParam = z.object({ id: plainInt(Number.MAX_SAFE_INTEGER) }).strict();

export const offlinePaymentBody = z
  .object({
    method: z.enum(['cash', 'card_terminal', 'bank_transfer']),
    amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('minor units of the shop currency'),
    reference: text(64).optional().describe('terminal slip or bank transfer reference (required for those methods)'),
    note: text(500).optional(),
    allow_overpayment: z.boolean().optional().describe('manager only: accept more than the amount due'),
  })
  .strict()
  .refine((b) => b.method === 'cash' || b.reference !== undefined, { message: 'a card terminal or bank transfer payment needs its reference', path: ['reference'] });
export type OfflinePaymentBody = z.infer<typeof offlinePaymentBody>;

export const offlinePaymentResult = z.object({
  work_order_id: z.number().int(),
  ledger: ledgerView,
  method: z.enum(['cash', 'card_terminal', 'bank_transfer']),
  reference: z.string().nullable(),
  amount: z.number().int(),
  currency: z.string(),
  due_before: z.number().int(),
  due_after: z.number().int().describe('< 0: the shop holds money beyond the price (refundable)'),
  overpayment: z.boolean(),
  replayed: z.boolean(),
});

export const stripePaymentResult = z.object({
  payment_order: paymentOrderView,
  client_secret: z.string().describe('pass to Stripe.js confirmPayment'),
  stripe_amount: z.number().int().describe("the amount in Stripe's smallest unit"),
  currency: z.string(),
});
