import { z } from 'zod';
import { plainInt, text } from '../common';
import { ledgerView } from '../payments/validators';
import { refundView } from '../refunds/validators';

export const seqParam = z.object({ seq: plainInt(Number.MAX_SAFE_INTEGER) }).strict();
export const suspenseQuery = z.object({ all: z.enum(['true', 'false']).optional().describe('include entries already applied or refunded') }).strict();

export const suspenseItem = z.object({
  seq: z.number().int(),
  at: z.string(),
  channel: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  open: z.number().int().describe('still held: amount − applied − refunded − refunds in flight'),
  applied: z.number().int(),
  refunded: z.number().int(),
  in_flight: z.number().int(),
  work_order_id: z.number().int().nullable().describe('the work order the money was meant for, when known'),
  provider_ref: z.string(),
  reason: z.string().nullable(),
});

export const applyBody = z
  .object({
    work_order_id: z.number().int().positive().max(2 ** 31 - 1),
    allow_overpayment: z.boolean().optional().describe('apply even when it is more than the amount due'),
  })
  .strict();

export const applyResult = z.object({ suspense: suspenseItem, charge: ledgerView, replayed: z.boolean() });

export const suspenseRefundBody = z
  .object({
    reason: text(200),
    amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().describe('minor units; default everything still open'),
  })
  .strict();

export { refundView };
