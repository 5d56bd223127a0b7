import { z } from 'zod';

/** Shared pieces of request schemas. Every object schema is `.strict()`: unknown fields are an error. */
/**
 * A positive integer as a path or query string, written plainly: `12` — not `1e3`, `0x1`, `+1`, `01` or ` 1`, which
 * z.coerce.number() would read as numbers, so one record would answer to many spellings.
 */
export const plainInt = (max: number) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'a positive integer written in digits')
    .transform(Number)
    .pipe(z.number().int().max(max));

export const idParam = z.object({ id: plainInt(2 ** 31 - 1) }).strict();
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
