import { z } from 'zod';
import { calendarDay, idParam, pageOf, pageQuery, plainInt, text } from '../common';
import { WO_STATES, QUOTE_STATES } from '../../integrations/odoo/work-orders';
import { TRANSITIONS } from '../../services/work-order.service';

const day = calendarDay;
const money = z.object({ amount: z.number().int().describe('integer minor units'), currency: z.string() });
const ref = z.object({ id: z.number().int(), name: z.string() }).nullable();

export const createWorkOrderBody = z
  .object({
    customer_id: z.number().int().positive().optional().describe('Staff: the customer. Customers: omitted (themselves).'),
    vehicle_id: z.number().int().positive(),
    symptom: text(2000).optional(),
    odometer_in: z.number().int().min(0).max(10_000_000).optional(),
    promised_date: z.iso.datetime({ offset: true }).optional(),
    technician_id: z.number().int().positive().optional(),
    checkin: z.boolean().optional().describe('Advisor: open straight into check-in'),
  })
  .strict();
export type CreateWorkOrderBody = z.infer<typeof createWorkOrderBody>;

const statusList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.enum(WO_STATES)).max(9));

export const listWorkOrdersQuery = z
  .object({
    status: statusList.optional().describe('One or several states, comma-separated or repeated'),
    created_from: day.optional().describe("First day (shop's time zone), inclusive"),
    created_to: day.optional().describe("Last day (shop's time zone), inclusive"),
    customer_id: plainInt(2 ** 31 - 1).optional(),
    plate: text(20).optional(),
    technician_id: plainInt(2 ** 31 - 1).optional(),
    q: text(64).optional().describe('Free text: number, symptom, customer name, plate'),
    sort: z.enum(['created_at', '-created_at', 'updated_at', '-updated_at', 'status', '-status', 'total', '-total']).default('-created_at'),
    ...pageQuery,
  })
  .strict()
  .refine((q) => !q.created_from || !q.created_to || q.created_from <= q.created_to, { message: 'created_from is after created_to', path: ['created_from'] });
export type ListWorkOrdersQuery = z.infer<typeof listWorkOrdersQuery>;

export const transitionBody = z
  .object({
    action: z.enum(Object.keys(TRANSITIONS) as [keyof typeof TRANSITIONS, ...(keyof typeof TRANSITIONS)[]]),
    note: text(1000).optional(),
    override: z.boolean().optional().describe('deliver: manager override when money is owing'),
    reason: text(1000).optional().describe('cancel: required'),
  })
  .strict();
export type TransitionBody = z.infer<typeof transitionBody>;

export const diagnosisBody = z.object({ text: text(4000) }).strict();

const quoteLine = z
  .object({
    kind: z.enum(['labor', 'part']),
    product_id: z.number().int().positive().optional(),
    description: text(256),
    qty: z.number().positive().max(100_000).refine((n) => Math.round(n * 1000) === n * 1000, 'at most 3 decimals'),
    unit_price: z.number().int().min(0).max(1e12).describe('integer minor units, as the shop prices (tax-included when its tax is)'),
    discount_percent: z.number().min(0).max(100).optional(),
    tax_ids: z.array(z.number().int().positive()).max(5).optional().describe('Default: the product taxes, else the shop default'),
  })
  .strict()
  .refine((l) => l.kind !== 'part' || l.product_id !== undefined, { message: 'a part line needs product_id', path: ['product_id'] });

export const createQuoteBody = z.object({ lines: z.array(quoteLine).min(1).max(200), note: text(2000).optional() }).strict();
export type CreateQuoteBody = z.infer<typeof createQuoteBody>;

export const rejectQuoteBody = z.object({ note: text(1000).optional() }).strict();

export const versionParams = idParam.extend({ version: plainInt(10_000) }).strict();

export const transitionResult = z.object({
  id: z.number().int(),
  number: z.string(),
  status: z.enum(WO_STATES),
  revision: z.number().int(),
  replayed: z.boolean(),
  closed: z.boolean().optional(),
  quote_version: z.number().int().optional(),
});

export const quoteView = z.object({
  version: z.number().int(),
  status: z.enum(QUOTE_STATES),
  untaxed: money,
  tax: money,
  total: money,
  sent_at: z.string().nullable(),
  decided_at: z.string().nullable(),
  decided_on_behalf: z.boolean(),
  note: z.string().nullable(),
  created_at: z.string().nullable(),
  lines: z.array(
    z.object({
      kind: z.enum(['labor', 'part']),
      product: ref,
      description: z.string(),
      qty: z.number(),
      unit_price: z.number().int(),
      discount_percent: z.number(),
      tax_ids: z.array(z.number().int()),
      subtotal: z.number().int(),
      tax: z.number().int(),
      total: z.number().int(),
    }),
  ),
});

export const workOrderSummary = z.object({
  id: z.number().int(),
  number: z.string(),
  status: z.enum(WO_STATES),
  revision: z.number().int(),
  shop_id: z.number().int().nullable(),
  customer: ref,
  vehicle: z.object({ id: z.number().int(), plate: z.string() }).nullable(),
  technician: ref,
  symptom: z.string().nullable(),
  total: money,
  amount_due: money,
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});

export const workOrderDetail = workOrderSummary.extend({
  warehouse_id: z.number().int().nullable(),
  advisor: ref,
  diagnosis: z.string().nullable(),
  odometer_in: z.number().int().nullable(),
  odometer_out: z.number().int().nullable(),
  promised_date: z.string().nullable(),
  cancel_reason: z.string().nullable(),
  amounts: z.object({ untaxed: z.number().int(), tax: z.number().int(), total: z.number().int(), paid: z.number().int(), due: z.number().int(), currency: z.string() }),
  current_quote_version: z.number().int().nullable(),
  confirmed_quote_version: z.number().int().nullable(),
  quotes: z.array(quoteView),
  planned_parts: z.array(z.object({ product: ref, qty: z.number(), uom: z.string().nullable() })),
  timeline: z.array(
    z.object({
      at: z.string().nullable(),
      event: z.string(),
      action: z.string().nullable(),
      from: z.string().nullable(),
      to: z.string().nullable(),
      actor: z.object({ kind: z.string().nullable(), user: ref, customer: ref }),
      note: z.string().nullable(),
      revision: z.number().int().nullable(),
    }),
  ),
  delivered_at: z.string().nullable(),
  closed_at: z.string().nullable(),
});
export const workOrderPage = pageOf(workOrderSummary);
