/**
 * Shop-local days ↔ UTC instants, with the platform's tz database (Intl), no library.
 * Every "by day" figure uses the shop's time zone (DESIGN §4).
 */

function offsetMs(utcMs: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** The UTC instant of local midnight starting `day` (YYYY-MM-DD) in `tz`. */
export function localMidnightUtc(day: string, tz: string): Date {
  const m = day.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (!m) throw new RangeError(`not a date: ${day}`);
  const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Two passes settle DST transitions (the offset at the guess may differ from the offset at the answer).
  let t = guess - offsetMs(guess, tz);
  t = guess - offsetMs(t, tz);
  return new Date(t);
}

/** The next calendar day of `day` (YYYY-MM-DD). */
export function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** `Date` → Odoo's datetime text (UTC, no zone). */
export function toOdooDatetime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
