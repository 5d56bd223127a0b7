/**
 * Phone / plate / VIN normalization, mirroring odoo-addons/drmoto_workshop/models/drmoto_normalize.py line by line
 * (Python's `\d` and `\s` are Unicode-aware, hence \p{Nd} and the u flag).
 */
const CN_MOBILE_RE = /^1[3-9]\p{Nd}{9}$/u;
const E164_RE = /^\+[1-9]\p{Nd}{6,14}$/u;
const PLATE_RE = /^[\u4e00-\u9fffA-Z0-9]{2,12}$/u;
const PLATE_SEPARATORS_RE = /[\s·•・.\-_]+/gu;
const VIN_RE = /^[A-HJ-NPR-Z0-9]{17}$/u;

const nfkc = (value: string | null | undefined): string => (value ?? '').normalize('NFKC');
const isEmpty = (raw: unknown): boolean => raw === null || raw === undefined || raw === false || raw === '' || raw === 0;

/** The normalized phone (CN mobile without +86, or E.164), or null. */
export function normalizePhone(raw: unknown): string | null {
  if (isEmpty(raw)) return null;
  const kept = nfkc(String(raw)).trim().replace(/[^\p{Nd}+]/gu, '');
  const plus = kept.startsWith('+');
  const digits = kept.replace(/\+/g, '');
  let number: string;
  if (plus) number = `+${digits}`;
  else if (digits.startsWith('00')) number = `+${digits.slice(2)}`;
  else number = digits;
  if (number.startsWith('+86')) number = number.slice(3);
  else if (Array.from(number).length === 13 && number.startsWith('86')) number = number.slice(2);
  return CN_MOBILE_RE.test(number) || E164_RE.test(number) ? number : null;
}

/** Upper-case the plate and drop spaces and separators (· • ・ . - _). */
export function cleanPlate(raw: unknown): string {
  if (isEmpty(raw)) return '';
  return nfkc(String(raw)).toUpperCase().replace(PLATE_SEPARATORS_RE, '');
}

export function isValidPlate(cleaned: string | null | undefined | false): boolean {
  return Boolean(cleaned) && PLATE_RE.test(cleaned as string);
}

/** The normalized plate, or null when it is not a valid plate. */
export function normalizePlate(raw: unknown): string | null {
  const cleaned = cleanPlate(raw);
  return isValidPlate(cleaned) ? cleaned : null;
}

/** Upper-case the VIN and drop whitespace; empty → false (Odoo's empty). */
export function cleanVin(raw: unknown): string | false {
  if (isEmpty(raw)) return false;
  const cleaned = nfkc(String(raw)).toUpperCase().replace(/\s+/gu, '');
  return cleaned || false;
}

export function isValidVin(cleaned: string | null | undefined | false): boolean {
  return Boolean(cleaned) && VIN_RE.test(cleaned as string);
}
