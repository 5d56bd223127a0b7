import { pyRepr, valueError } from '../errors';
import type { FieldDef, Raw } from './types';

export const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** 'YYYY-MM-DD HH:MM:SS' in UTC, Odoo's datetime wire format. */
export function formatDatetime(d: Date): string {
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
export function formatDate(d: Date): string {
  return formatDatetime(d).slice(0, 10);
}
export function parseDatetime(s: string): Date {
  return new Date(`${s.replace(' ', 'T')}Z`);
}

function toDate(value: unknown, fname: string): string {
  const s = String(value).slice(0, 10);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  const d = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)) : undefined;
  if (!m || !d || formatDate(d) !== s) throw valueError(`time data ${pyRepr(s)} does not match format '%Y-%m-%d'`);
  void fname;
  return s;
}

function toDatetime(value: unknown): string {
  let s = String(value).slice(0, 19);
  if (s.length === 10) s += ' 00:00:00';
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  const d = m ? parseDatetime(s) : undefined;
  if (!m || !d || Number.isNaN(d.getTime()) || formatDatetime(d) !== s) {
    throw valueError(`time data ${pyRepr(s)} does not match format '%Y-%m-%d %H:%M:%S'`);
  }
  return s;
}

/** Odoo's `convert_to_cache`/`convert_to_column` for scalar fields (x2many are handled by commands). */
export function convertToStore(field: FieldDef, fname: string, model: string, value: unknown): Raw {
  switch (field.type) {
    case 'char':
    case 'text': {
      if (value === false || value === null || value === undefined) return null;
      const s = typeof value === 'string' ? value : pyStrOf(value);
      return field.size ? s.slice(0, field.size) : s;
    }
    case 'selection': {
      if (value === false || value === null || value === undefined) return null;
      const keys = (field.selection ?? []).map(([k]) => k);
      if (typeof value !== 'string' || !keys.includes(value)) {
        throw valueError(`Wrong value for ${model}.${fname}: ${pyRepr(value)}`);
      }
      return value;
    }
    case 'integer': {
      if (value === false || value === null || value === undefined || value === '') return 0;
      const n = typeof value === 'number' ? Math.trunc(value) : typeof value === 'boolean' ? Number(value) : Number.parseInt(String(value), 10);
      if (Number.isNaN(n)) throw valueError(`invalid literal for int() with base 10: ${pyRepr(value)}`);
      return n;
    }
    case 'float':
    case 'monetary': {
      if (value === false || value === null || value === undefined || value === '') return 0;
      const n = Number(value);
      if (Number.isNaN(n)) throw valueError(`could not convert string to float: ${pyRepr(value)}`);
      // Float.convert_to_column: float_repr(float_round(value, precision_digits=scale), scale)
      if (field.type === 'float' && field.digits) return toColumnDigits(n, field.digits[1]);
      return n;
    }
    case 'boolean':
      return Boolean(value) && !(Array.isArray(value) && value.length === 0);
    case 'date':
      if (value === false || value === null || value === undefined || value === '') return null;
      return toDate(value, fname);
    case 'datetime':
      if (value === false || value === null || value === undefined || value === '') return null;
      return toDatetime(value);
    case 'many2one': {
      if (value === false || value === null || value === undefined || value === 0) return null;
      if (Array.isArray(value) && typeof value[0] === 'number') return value[0];
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      throw valueError(`Wrong value for ${model}.${fname}: ${pyRepr(value)}`);
    }
    default:
      throw valueError(`convertToStore on ${field.type}`);
  }
}

function pyStrOf(v: unknown): string {
  if (v === true) return 'True';
  if (typeof v === 'number') return String(v);
  return pyRepr(v);
}

/** `pycompat.to_text(right)` as used for like patterns. */
export function pyText(v: unknown): string {
  return typeof v === 'string' ? v : pyStrOf(v);
}

/** A value as PostgreSQL's `::text` cast shows it (for like/ilike on non-char columns). */
export function sqlText(field: FieldDef, v: Raw): string | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return null;
  if (typeof v === 'number' && (field.type === 'float' || field.type === 'monetary')) return String(v);
  return String(v);
}

/** PostgreSQL LIKE/ILIKE: % any run, _ one character, backslash escapes the next character. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let re = '^';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') {
      const next = chars[i + 1];
      if (next !== undefined) {
        re += escapeRe(next);
        i++;
      }
      // a trailing backslash: PostgreSQL raises "LIKE pattern must not end with escape character"
      else throw new LikeEscapeError();
    } else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += escapeRe(c);
  }
  return new RegExp(`${re}$`, caseInsensitive ? 'iu' : 'u');
}

export class LikeEscapeError extends Error {
  constructor() {
    super('LIKE pattern must not end with escape character');
  }
}

function escapeRe(c: string): string {
  // Only syntax characters: with the `u` flag an escaped `-` outside a class is an error.
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** PostgreSQL ordering of two non-null scalars of one column (database collation "C": code point order). */
export function compareRaw(a: Raw, b: Raw): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function deepClone<T>(v: T): T {
  return structuredClone(v);
}

/** float_round(value, precision_digits) (HALF-UP with Odoo's epsilon), then float_repr: what a numeric column keeps */
export function toColumnDigits(value: number, digits: number): number {
  if (value === 0) return 0;
  const factor = 10 ** -digits;
  let normalized = value / factor;
  normalized += Math.sign(normalized) * 2 ** (Math.log(Math.abs(normalized)) / Math.log(2) - 52);
  const fl = Math.floor(Math.abs(normalized));
  const rounded = Math.sign(normalized) * (Math.abs(normalized) - fl >= 0.5 ? fl + 1 : fl);
  return Number((rounded * factor).toFixed(digits));
}
