import { z } from 'zod';
import { calendarDay, plainInt } from '../common';
import { LEDGER_CHANNELS, LEDGER_KINDS, type LedgerChannel, type LedgerKind } from '../../domain/ledger-hash';
import { decodeCursor } from '../../services/report.service';
import { HISTORY_MAX_LIMIT } from '../../store/payment-queries';

/** The longest report range, in days (inclusive): a year, leap day included. */
export const MAX_REPORT_DAYS = 366;

const day = calendarDay;

const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;

const id = plainInt(2 ** 31 - 1);

/** `a,b` or `?x=a&x=b`. */
const listOf = <T extends string>(values: readonly T[]) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values as [T, ...T[]])).min(1).max(values.length));

export const reportQuery = z
  .object({
    from: day.describe("First day (shop's time zone), inclusive"),
    to: day.describe("Last day (shop's time zone), inclusive"),
    shop_id: id.optional().describe("Default: the caller's shop; another shop needs access to it in Odoo"),
  })
  .strict()
  .refine((q) => q.from <= q.to, { message: 'from is after to', path: ['from'] })
  .refine((q) => q.from > q.to || daysBetween(q.from, q.to) <= MAX_REPORT_DAYS, { message: `at most ${MAX_REPORT_DAYS} days`, path: ['to'] });
export type ReportQuery = z.infer<typeof reportQuery>;

export const paymentHistoryQuery = z
  .object({
    shop_id: id.optional().describe("Staff: default the caller's shop"),
    work_order_id: id.optional(),
    channel: listOf<LedgerChannel>(LEDGER_CHANNELS).optional().describe('wechat, stripe, offline; comma-separated or repeated'),
    kind: listOf<LedgerKind>(LEDGER_KINDS).optional().describe('charge, refund, reversal, suspense (staff); comma-separated or repeated'),
    from: day.optional().describe("First day (shop's time zone), inclusive"),
    to: day.optional().describe("Last day (shop's time zone), inclusive"),
    cursor: z
      .string()
      .max(64)
      .transform((c, ctx) => {
        const seq = decodeCursor(c);
        if (seq === undefined) {
          ctx.addIssue({ code: 'custom', message: 'not a cursor from this endpoint (use next_cursor as given)' });
          return z.NEVER;
        }
        return seq;
      })
      .optional()
      .describe('next_cursor of the previous page'),
    limit: z.coerce.number().int().min(1).max(HISTORY_MAX_LIMIT).default(20),
  })
  .strict()
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from is after to', path: ['from'] });
export type PaymentHistoryQuery = z.infer<typeof paymentHistoryQuery>;

// ------------------------------------------------------------------ responses (for /openapi.json)

const shop = z.object({ id: z.number().int(), name: z.string(), tz: z.string(), currency: z.string() });
const totals = {
  charges_count: z.number().int(),
  charges_amount: z.number().int().describe('minor units'),
  refunds_count: z.number().int(),
  refunds_amount: z.number().int().describe('minor units, positive'),
  reversals_amount: z.number().int().describe('minor units, positive'),
  net_amount: z.number().int().describe('charges − refunds − reversals'),
  suspense_amount: z.number().int().describe('suspense received − released (not in net)'),
};
const channel = z.enum(LEDGER_CHANNELS as [LedgerChannel, ...LedgerChannel[]]);

export const paymentsReportView = z.object({
  report: z.literal('payments'),
  shop,
  from: z.string(),
  to: z.string(),
  rows: z.array(z.object({ day: z.string(), channel, currency: z.string(), ...totals })),
  by_channel: z.array(z.object({ channel, currency: z.string(), ...totals })),
  by_day: z.array(z.object({ day: z.string(), currency: z.string(), ...totals })),
  totals: z.array(z.object({ currency: z.string(), ...totals })),
});

export const workOrdersReportView = z.object({
  report: z.literal('work-orders'),
  shop,
  from: z.string(),
  to: z.string(),
  by_status: z.array(z.object({ status: z.string(), count: z.number().int() })).describe('work orders created in the range, by their status now'),
  created_total: z.number().int(),
  closed_total: z.number().int(),
  by_day: z.array(z.object({ day: z.string(), created: z.number().int(), closed: z.number().int() })),
});

const product = z.object({ id: z.number().int(), name: z.string() });
const partsFigures = { product, uom: z.string(), issued: z.number(), returned: z.number(), net: z.number() };
export const partsReportView = z.object({
  report: z.literal('parts'),
  shop,
  from: z.string(),
  to: z.string(),
  rows: z.array(z.object({ day: z.string(), ...partsFigures })),
  by_product: z.array(z.object(partsFigures)),
});

export const reportIndexView = z.object({
  reports: z.array(z.object({ id: z.string(), title: z.string(), href: z.string(), roles: z.array(z.string()), params: z.array(z.string()), formats: z.array(z.string()) })),
});

export const paymentHistoryView = z.object({
  items: z.array(
    z.object({
      id: z.number().int().describe('ledger seq'),
      at: z.string(),
      kind: z.enum(LEDGER_KINDS as [LedgerKind, ...LedgerKind[]]),
      channel,
      amount: z.number().int().describe('signed minor units: refunds and reversals < 0'),
      currency: z.string(),
      shop_id: z.number().int(),
      work_order: z.object({ id: z.number().int(), number: z.string().nullable() }).nullable(),
      out_trade_no: z.string().nullable(),
      provider_ref: z.string().nullable().describe('customers: masked to the last 6 characters'),
      actor: z.string().optional().describe('staff only'),
      reason: z.string().nullable().optional().describe('staff only'),
    }),
  ),
  next_cursor: z.string().nullable(),
  limit: z.number().int(),
});
