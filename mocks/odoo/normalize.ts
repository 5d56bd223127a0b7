/**
 * Phone / plate / VIN normalization in the mock: the BFF's rules (bff/src/domain/normalize.ts, which are those of
 * odoo-addons/drmoto_workshop/models/drmoto_normalize.py — ASCII digits only, NFKC first), wrapped with Odoo's edges:
 * any falsy value (None, False, '', 0) is empty, anything else is read as `str(value)`, and an empty VIN is False.
 */
import * as rules from '../../bff/src/domain/normalize';

/** Python's `not raw` for the values that reach these functions. */
const isEmpty = (raw: unknown): boolean => raw === null || raw === undefined || raw === false || raw === '' || raw === 0;

/** The normalized phone (CN mobile without +86, or E.164), or null. */
export function normalizePhone(raw: unknown): string | null {
  return isEmpty(raw) ? null : rules.normalizePhone(String(raw));
}

/** Upper-case the plate and drop spaces and separators (· • ・ . - _). */
export function cleanPlate(raw: unknown): string {
  return isEmpty(raw) ? '' : rules.cleanPlate(String(raw));
}

/** A cleaned plate is valid when normalizing it gives it back unchanged (cleaning is idempotent). */
export function isValidPlate(cleaned: string | null | undefined | false): boolean {
  return Boolean(cleaned) && rules.normalizePlate(cleaned as string) === cleaned;
}

/** The normalized plate, or null when it is not a valid plate. */
export function normalizePlate(raw: unknown): string | null {
  return isEmpty(raw) ? null : rules.normalizePlate(String(raw));
}

/** Upper-case the VIN and drop whitespace; empty → false (Odoo's empty). */
export function cleanVin(raw: unknown): string | false {
  return isEmpty(raw) ? false : rules.cleanVin(String(raw)) || false;
}

/** A cleaned VIN is valid when normalizing it gives it back unchanged. */
export function isValidVin(cleaned: string | null | undefined | false): boolean {
  return Boolean(cleaned) && rules.normalizeVin(cleaned as string) === cleaned;
}
