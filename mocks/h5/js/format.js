import { getLang, t } from './i18n.js';

const DECIMALS = { CNY: 2, USD: 2, EUR: 2, JPY: 0 };
const SYMBOL = { CNY: '¥', USD: '$', EUR: '€', JPY: '¥' };

/** Integer minor units → "¥282.00". No float arithmetic on money: the digits are placed, not divided. */
export function money(amount, currency = 'CNY') {
  const d = DECIMALS[currency] ?? 2;
  const neg = amount < 0;
  const s = String(Math.abs(Math.trunc(amount))).padStart(d + 1, '0');
  const whole = d ? s.slice(0, -d) : s;
  const frac = d ? `.${s.slice(-d)}` : '';
  return `${neg ? '-' : ''}${SYMBOL[currency] ?? `${currency} `}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac}`;
}

/** "¥12.50" typed by a person → 1250 minor units (string arithmetic). null when not a price. */
export function parseMoney(text, currency = 'CNY') {
  const d = DECIMALS[currency] ?? 2;
  const m = String(text).trim().replace(/^[¥$€]/, '').match(/^(\d{1,9})(?:\.(\d{0,2}))?$/);
  if (!m || (d === 0 && m[2])) return null;
  return Number(m[1]) * 10 ** d + Number((m[2] ?? '').padEnd(d, '0') || 0);
}

export function dateTime(iso) {
  if (!iso) return '';
  const dt = new Date(iso);
  if (Number.isNaN(dt.getTime())) return iso;
  return dt.toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

export const statusLabel = (s) => t(`status.${s}`);
export const quoteStatusLabel = (s) => t(`qstatus.${s}`);
export const roleLabel = (r) => t(`role.${r}`);

/** The normal path of a work order, for the progress stepper. */
export const FLOW = ['draft', 'checkin', 'diagnosing', 'quoted', 'in_progress', 'ready', 'delivered', 'closed'];

export function qty(n) {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
}

/** A calendar day `YYYY-MM-DD` in the demo shop's time zone (Asia/Shanghai), `offset` days from today. */
export function shopDay(offset = 0) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.now() + offset * 86_400_000));
}
