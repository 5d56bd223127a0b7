import type { Request, Response } from 'express';

/**
 * CSV downloads (RFC 4180): one header row, CRLF line ends, a field quoted when it holds a comma, a quote, CR or LF,
 * quotes doubled. Text that a spreadsheet would run as a formula (= + - @, tab, CR at the start) gets a leading `'`
 * (OWASP "CSV injection"); numbers are written as they are, so a negative amount stays a number.
 * The body starts with a UTF-8 BOM: Excel, what shops open these with, reads Chinese product names right only then.
 */

export type CsvCell = string | number | boolean | null | undefined;

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(v: CsvCell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
    return String(v);
  }
  let s = typeof v === 'boolean' ? (v ? 'true' : 'false') : v;
  if (FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) {
    if (row.length !== header.length) throw new RangeError(`CSV row has ${row.length} cells, the header ${header.length}`);
    lines.push(row.map(csvCell).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** `Accept: text/csv` (preferred over JSON) asks for CSV; anything else, or no Accept, gets JSON. */
export function wantsCsv(req: Request): boolean {
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

/** A safe file name: letters, digits, `._-` only. */
export function sendCsv(res: Response, filename: string, header: readonly string[], rows: readonly (readonly CsvCell[])[]): void {
  const safe = filename.replace(/[^A-Za-z0-9._-]/g, '_');
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${safe}"`);
  res.status(200).send(toCsv(header, rows));
}
