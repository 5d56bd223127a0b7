/**
 * Money is integer minor units with a currency. Odoo speaks floats; converting them goes through
 * their shortest decimal text so 0.1 + 0.2 never happens here.
 */
export interface Money {
  amount: number;
  currency: string;
}

/** Odoo float (e.g. 123.45) → minor units (12345) for a currency with `decimals` places, half away from zero. */
export function toMinor(value: number, decimals: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite amount: ${value}`);
  if (Math.abs(value) * 10 ** decimals > Number.MAX_SAFE_INTEGER) throw new RangeError(`amount out of range: ${value}`);
  const neg = value < 0;
  const [intPart, fracPart = ''] = expandExponent(Math.abs(value)).split('.');
  const kept = (fracPart + '0'.repeat(decimals)).slice(0, decimals);
  const rest = fracPart.slice(decimals);
  let minor = BigInt((intPart ?? '0') + kept);
  if (rest.length > 0 && rest[0]! >= '5') minor += 1n;
  const n = Number(minor);
  if (!Number.isSafeInteger(n)) throw new RangeError(`amount out of range: ${value}`);
  return neg && n !== 0 ? -n : n;
}

/** Minor units → the float Odoo expects (exact for any amount Odoo can hold). */
export function fromMinor(minor: number, decimals: number): number {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`not an integer amount: ${minor}`);
  return Number(`${minor < 0 ? '-' : ''}${Math.abs(minor)}e-${decimals}`);
}

function expandExponent(x: number): string {
  const s = String(x);
  if (!/e/i.test(s)) return s;
  return x.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}
