import { z } from 'zod';

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
export const paymentIdParam = z.object({ id: z.coerce.number().int().positive().max(2 ** 53 - 1) }).strict();
