import { z } from 'zod';

const line = z
  .object({
    product_id: z.number().int().positive(),
    qty: z.number().positive().max(100_000).refine((n) => Math.round(n * 1000) === n * 1000, 'at most 3 decimals'),
  })
  .strict();

export const partLinesBody = z.object({ lines: z.array(line).min(1).max(100) }).strict();
export type PartLinesBody = z.infer<typeof partLinesBody>;

const ref = z.object({ id: z.number().int(), name: z.string() }).nullable();
const partRow = z.object({ product: ref, uom: z.string().nullable(), planned: z.number(), requested: z.number(), issued: z.number(), returned: z.number(), net: z.number() });

export const partsView = z.object({
  items: z.array(partRow),
  pickings: z.array(z.object({ id: z.number().int(), name: z.string(), kind: z.enum(['issue', 'return']).nullable(), state: z.string(), done_at: z.string().nullable() })),
});
export const partRows = z.object({ items: z.array(partRow) });
export const postedPicking = z.object({
  work_order_id: z.number().int(),
  picking: z.object({ id: z.number().int(), name: z.string(), state: z.string() }),
  lines: z.array(z.object({ product_id: z.number().int(), qty: z.number() })),
  replayed: z.boolean(),
});
