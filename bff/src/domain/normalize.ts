/**
 * The same normalization rules as the addon (odoo-addons/drmoto_workshop/models/drmoto_normalize.py);
 * the Odoo mock uses this module too. The BFF applies them to validate early and to build search domains; Odoo stays the
 * authority that stores and enforces them.
 */

const CN_MOBILE = /^1[3-9][0-9]{9}$/;
const E164 = /^\+[1-9][0-9]{6,14}$/;

/** Full-width digits and letters typed on CJK keyboards become ASCII. */
const nfkc = (s: string) => s.normalize('NFKC');

/**
 * `+86 138-0013-8000`, `0086 13800138000`, `138 0013 8000` → `13800138000` (CN mobile without +86),
 * `+44 20 7946 0958` → `+442079460958` (E.164); null when neither.
 */
export function normalizePhone(raw: string): string | null {
  if (!raw) return null;
  const kept = nfkc(raw).trim().replace(/[^0-9+]/g, '');
  const digits = kept.replace(/\+/g, '');
  let n = kept.startsWith('+') ? '+' + digits : digits.startsWith('00') ? '+' + digits.slice(2) : digits;
  if (n.startsWith('+86')) n = n.slice(3);
  else if (n.length === 13 && n.startsWith('86')) n = n.slice(2);
  return CN_MOBILE.test(n) || E164.test(n) ? n : null;
}

const PLATE_SEPARATORS = /[\s·•・.\-_]+/g;
const PLATE_VALID = /^[\u4e00-\u9fffA-Z0-9]{2,12}$/;

/** Upper-cased, separators (spaces · • ・ . - _) removed; no validity check (also for partial search terms). */
export function cleanPlate(raw: string): string {
  return nfkc(raw ?? '').toUpperCase().replace(PLATE_SEPARATORS, '');
}

/** `粤B·12345` = `粤b12345` = `粤B 12345` → `粤B12345`; null when not a plate. */
export function normalizePlate(raw: string): string | null {
  const s = cleanPlate(raw);
  return PLATE_VALID.test(s) ? s : null;
}

/** Partial plate for searching: same cleanup, no length rule. */
export const plateSearchTerm = cleanPlate;

const VIN = /^[A-HJ-NPR-Z0-9]{17}$/;

export function cleanVin(raw: string): string {
  return nfkc(raw ?? '').toUpperCase().replace(/\s+/g, '');
}

export function normalizeVin(raw: string): string | null {
  const s = cleanVin(raw);
  return VIN.test(s) ? s : null;
}

/** Odoo's like/ilike take `%` and `_` as wildcards; user text must match literally. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}
