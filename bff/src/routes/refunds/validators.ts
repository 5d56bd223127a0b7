import { z } from 'zod';
import { text } from '../common';

export const refundBody = z
  .object({
    amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('minor units of the shop currency'),
    reason: text(200).describe('shown to the payer where the provider supports it (WeChat: first 80 bytes)'),
    payment_seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().describe('ledger seq of the payment to refund; default the latest payment that covers the amount'),
  })
  .strict();
export type RefundBody = z.infer<typeof refundBody>;

export const refundView = z.object({
  id: z.number().int(),
  out_refund_no: z.string(),
  work_order_id: z.number().int().nullable(),
  channel: z.string(),
  payment_seq: z.number().int().describe('the ledger row whose money goes back'),
  amount: z.number().int(),
  credit_amount: z.number().int().describe('the part that lowers the price (an Odoo credit note); the rest returns an overpayment'),
  currency: z.string(),
  reason: z.string(),
  status: z.enum(['pending', 'processing', 'succeeded', 'failed']),
  provider_refund_id: z.string().nullable(),
  ledger_seq: z.number().int().nullable(),
  error: z.string().nullable(),
  created_at: z.string(),
  completed_at: z.string().nullable(),
});
