import type { z } from 'zod';
import { AppError, type FieldError } from '../errors';

export function zodIssuesToFieldErrors(where: string, error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
    code: i.code,
  }));
}

/**
 * U+0000 and unpaired UTF-16 surrogates: PostgreSQL (so Odoo) can't store the first, UTF-8 can't carry the second —
 * Odoo would fail deep in its database layer (a 502 here) or the character would silently become U+FFFD. In unicode
 * mode a proper surrogate pair is one code point, so only unpaired halves match.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDFFF]/u;

/** Every string (and object key) in `value` that can't be stored; iterative, so no input nests deep enough to overflow. */
export function unstorableStrings(value: unknown, where: string, max = 20): FieldError[] {
  const errors: FieldError[] = [];
  const stack: [unknown, string][] = [[value, where]];
  const flag = (path: string) => errors.push({ path, message: 'must not contain NUL or unpaired surrogate characters', code: 'invalid_characters' });
  while (stack.length > 0 && errors.length < max) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) flag(path);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}.${i}`]);
    } else if (v !== null && typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v) as object | null)) {
      const entries = Object.entries(v as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]!;
        if (UNSTORABLE.test(k)) flag(`${path}.${k.replace(/[\u0000\uD800-\uDFFF]/gu, '\uFFFD')}`);
        else stack.push([x, `${path}.${k}`]);
      }
    }
  }
  return errors;
}

/** Parses one part of a request; throws a 400 listing every problem. */
export function parsePart<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' | 'headers'): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new AppError('validation', `The request ${where} is invalid.`, { errors: zodIssuesToFieldErrors(where, r.error) });
  }
  // Checked on what the handler receives (bounded by the schema), after zod has had its say on types.
  const unstorable = unstorableStrings(r.data, where);
  if (unstorable.length > 0) throw new AppError('validation', `The request ${where} is invalid.`, { errors: unstorable });
  return r.data;
}
