import type { z } from 'zod';
import { AppError, type FieldError } from './errors';

export function zodIssuesToFieldErrors(where: string, error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
    code: i.code,
  }));
}

/** Parses one part of a request; throws a 400 listing every problem. */
export function parsePart<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' | 'headers'): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new AppError('validation', `The request ${where} is invalid.`, { errors: zodIssuesToFieldErrors(where, r.error) });
  }
  return r.data;
}
