import { z } from 'zod';

/** Shared pieces of request schemas. Every object schema is `.strict()`: unknown fields are an error. */
export const idParam = z.object({ id: z.coerce.number().int().positive().max(2 ** 31 - 1) }).strict();
export type IdParam = z.infer<typeof idParam>;

export const pageQuery = {
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
};

/** Trimmed text with a length cap; control characters refused. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), 'must not contain control characters');

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), limit: z.number().int() });

/** A calendar day, `YYYY-MM-DD`; 2026-02-30 is refused (JS Date would roll it over to March 2). */
export const calendarDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'not a calendar date');
