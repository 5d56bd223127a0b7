/** Odoo's wire shapes → plain values: `false` means empty, many2one is `[id, name]`, datetimes are UTC text. */
export type M2O = [number, string] | false;

export function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

export function int(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function m2oId(v: unknown): number | null {
  return Array.isArray(v) && typeof v[0] === 'number' ? v[0] : typeof v === 'number' ? v : null;
}

export function m2oName(v: unknown): string | null {
  return Array.isArray(v) && typeof v[1] === 'string' ? v[1] : null;
}

/** `2026-11-22 08:30:00` (UTC) → `2026-11-22T08:30:00Z`. */
export function utc(v: unknown): string | null {
  if (typeof v !== 'string' || !v) return null;
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/.test(v) ? v.slice(0, 19).replace(' ', 'T') + 'Z' : v;
}

/** `null`/`undefined` → Odoo's `false` for writes. */
export function toOdoo(v: unknown): unknown {
  return v === null || v === undefined ? false : v;
}
