/**
 * read_group as in Odoo 17 models.py (read_group → _read_group → _read_group_format_result): lazy `<field>_count`
 * vs `__count`, default aggregates (group_operator), `field:granularity` (default month) in the context `tz`,
 * en_US babel labels ('dd MMM yyyy', "'W'w YYYY", 'MMMM yyyy', 'QQQ yyyy', 'yyyy'), `__range` and `__domain`.
 */
import { pyRepr, valueError } from '../errors';
import { combineDomains, isFalseDomain } from './domain';
import type { Model } from './orm';
import { compareRaw, formatDatetime, pad, parseDatetime } from './values';
import type { Raw, Row } from './types';

const GRANULARITIES = ['hour', 'day', 'week', 'month', 'quarter', 'year'] as const;
type Granularity = (typeof GRANULARITIES)[number];
const AGGREGATES = ['sum', 'avg', 'max', 'min', 'bool_and', 'bool_or', 'array_agg', 'recordset', 'count', 'count_distinct'];
const SPEC = /^(\w+)(\.(\w+))?(?::(\w+))?$/;
const FIELD_AGG = /^(\w+)(?::(\w+)(?:\((\w+)\))?)?/;
const ORDER_PART = /^\s*("?)([a-z0-9_]+(?::[a-z_]+)?)\1(?:\s+(asc|desc))?(?:\s+(nulls first|nulls last))?\s*$/i;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function parseSpec(spec: string): [string, string | undefined, string | undefined] {
  const m = SPEC.exec(spec);
  if (!m) {
    throw valueError(
      `Invalid aggregate/groupby specification ${pyRepr(spec)}.\n- Valid aggregate specification looks like "<field_name>:<agg>" example: "quantity:sum".\n- Valid groupby specification looks like "<no_datish_field_name>" or "<datish_field_name>:<granularity>" example: "date:month" or "<properties_field_name>.<property>:<granularity>".`,
    );
  }
  return [m[1]!, m[3], m[4]];
}

// ---------------------------------------------------------------- time zones (pytz-like, via Intl)

export function isValidTz(tz: unknown): tz is string {
  if (typeof tz !== 'string' || !tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** UTC instant → naive local wall time (as a Date whose UTC fields are the local fields) */
function utcToLocal(d: Date, tz: string): Date {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(d);
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return new Date(Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')));
}

/** naive local wall time → UTC instant (pytz localize, is_dst=False) */
function localToUtc(local: Date, tz: string): Date {
  let guess = new Date(local.getTime());
  for (let i = 0; i < 3; i++) {
    const offset = utcToLocal(guess, tz).getTime() - guess.getTime();
    guess = new Date(local.getTime() - offset);
  }
  return guess;
}

function truncate(d: Date, g: Granularity): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (g) {
    case 'hour':
      return new Date(Date.UTC(y, m, d.getUTCDate(), d.getUTCHours()));
    case 'day':
      return new Date(Date.UTC(y, m, d.getUTCDate()));
    case 'week': {
      // en_US weeks start on Sunday (res.lang week_start '7'): date_trunc('week', x + 1 day) - 1 day
      const day = new Date(Date.UTC(y, m, d.getUTCDate()));
      return new Date(day.getTime() - day.getUTCDay() * 86400000);
    }
    case 'month':
      return new Date(Date.UTC(y, m, 1));
    case 'quarter':
      return new Date(Date.UTC(y, m - (m % 3), 1));
    case 'year':
      return new Date(Date.UTC(y, 0, 1));
  }
}

function addInterval(d: Date, g: Granularity): Date {
  const r = new Date(d.getTime());
  switch (g) {
    case 'hour':
      r.setUTCHours(r.getUTCHours() + 1);
      break;
    case 'day':
      r.setUTCDate(r.getUTCDate() + 1);
      break;
    case 'week':
      r.setUTCDate(r.getUTCDate() + 7);
      break;
    case 'month':
      r.setUTCMonth(r.getUTCMonth() + 1);
      break;
    case 'quarter':
      r.setUTCMonth(r.getUTCMonth() + 3);
      break;
    case 'year':
      r.setUTCFullYear(r.getUTCFullYear() + 1);
      break;
  }
  return r;
}

/** babel's locale week number (en_US: first week day Sunday, min 1 day), as babel 2.10 computes it */
function babelWeekOfYear(d: Date): number {
  const firstWeekDay = 6;
  const minWeekDays = 1;
  const weekday = (x: Date): number => (x.getUTCDay() + 6) % 7; // Python weekday(): Monday=0
  const dayOfYear = (x: Date): number => Math.floor((x.getTime() - Date.UTC(x.getUTCFullYear(), 0, 1)) / 86400000) + 1;
  const weekNumber = (dayOfPeriod: number, dayOfWeek: number): number => {
    const firstDay = (((dayOfWeek - firstWeekDay - dayOfPeriod + 1) % 7) + 7) % 7;
    let n = Math.floor((dayOfPeriod + firstDay - 1) / 7);
    if (7 - firstDay >= minWeekDays) n += 1;
    return n;
  };
  let week = weekNumber(dayOfYear(d), weekday(d));
  if (week === 0) {
    const prev = new Date(d.getTime() - dayOfYear(d) * 86400000);
    week = weekNumber(dayOfYear(prev), weekday(prev));
  }
  return week;
}

function isoYear(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  t.setUTCDate(t.getUTCDate() + 3 - ((t.getUTCDay() + 6) % 7));
  return t.getUTCFullYear();
}

function label(d: Date, g: Granularity): string {
  const dd = pad(d.getUTCDate());
  const mon = MONTHS[d.getUTCMonth()]!;
  switch (g) {
    case 'hour': {
      const h = d.getUTCHours() % 12 || 12;
      return `${pad(h)}:00 ${dd} ${mon.slice(0, 3)}`;
    }
    case 'day':
      return `${dd} ${mon.slice(0, 3)} ${d.getUTCFullYear()}`;
    case 'week':
      return `W${babelWeekOfYear(d)} ${isoYear(d)}`;
    case 'month':
      return `${mon} ${d.getUTCFullYear()}`;
    case 'quarter':
      return `Q${Math.floor(d.getUTCMonth() / 3) + 1} ${d.getUTCFullYear()}`;
    case 'year':
      return String(d.getUTCFullYear());
  }
}

// ---------------------------------------------------------------- read_group

interface GroupKey {
  spec: string;
  fname: string;
  gran?: Granularity;
  /** value(s) of the row for this groupby (many2many gives several) */
  values: (r: Row) => Raw[];
}

function aggregate(func: string, values: Raw[], rows: Row[]): unknown {
  const nn = values.filter((v) => v !== null && v !== undefined);
  switch (func) {
    case 'sum':
      return nn.length ? nn.reduce<number>((a, v) => a + Number(v), 0) : false;
    case 'avg':
      return nn.length ? nn.reduce<number>((a, v) => a + Number(v), 0) / nn.length : false;
    case 'max':
      return nn.length ? nn.reduce((a, v) => (compareRaw(v, a) > 0 ? v : a)) : false;
    case 'min':
      return nn.length ? nn.reduce((a, v) => (compareRaw(v, a) < 0 ? v : a)) : false;
    case 'count':
      return nn.length;
    case 'count_distinct':
      return new Set(nn.map((v) => JSON.stringify(v))).size;
    case 'bool_and':
      return nn.length ? nn.every(Boolean) : false;
    case 'bool_or':
      return nn.length ? nn.some(Boolean) : false;
    case 'array_agg':
    case 'recordset': {
      const byId = rows.map((r, i) => [r.id, values[i]] as const).sort((a, b) => a[0] - b[0]);
      return byId.map(([, v]) => (v === null ? null : v));
    }
    default:
      return false;
  }
}

export function readGroup(
  model: Model,
  domain: unknown[],
  fields: string[],
  groupbyArg: string[] | string,
  opts: { offset?: number; limit?: number | null; orderby?: string | false | null; lazy?: boolean },
): Record<string, unknown>[] {
  const lazy = opts.lazy !== false;
  const groupby = typeof groupbyArg === 'string' ? [groupbyArg] : (groupbyArg ?? []);
  const lazyGroupby = lazy ? groupby.slice(0, 1) : groupby;
  const tz = isValidTz(model.env.context.tz) ? (model.env.context.tz as string) : undefined;

  const annotedGroupby = new Map<string, string>();
  let lastFieldName = '';
  for (const spec of lazyGroupby) {
    const [fname, prop, gran] = parseSpec(spec);
    lastFieldName = fname;
    const field = model.def.fields[fname];
    if (!field) throw valueError(`Invalid field ${pyRepr(fname)} on model ${pyRepr(model.name)}`);
    if (prop) throw valueError(`Property name ${pyRepr(prop)} has to be used on a property field.`);
    annotedGroupby.set(spec, field.type === 'date' || field.type === 'datetime' ? `${fname}:${gran ?? 'month'}` : spec);
  }
  const countKey = lazy && lazyGroupby.length === 1 ? `${lazyGroupby[0]!.split(':')[0]}_count` : '__count';
  const annotedAggregates = new Map<string, string>([[countKey, '__count']]);
  for (const spec of fields) {
    if (spec === '__count') continue;
    const m = FIELD_AGG.exec(spec);
    if (!m) throw valueError(`Invalid field specification ${pyRepr(spec)}.`);
    const [, name, func, fname] = m as unknown as [string, string, string | undefined, string | undefined];
    if (fname) {
      annotedAggregates.set(name, `${fname}:${func}`);
      continue;
    }
    if (func) {
      annotedAggregates.set(name, `${name}:${func}`);
      continue;
    }
    const field = model.def.fields[name];
    // (sic) Odoo 17 names the last groupby field in this message
    if (!field) throw valueError(`Invalid field ${pyRepr(lastFieldName)} on model ${pyRepr(model.name)}`);
    const numeric = field.type === 'integer' || field.type === 'float' || field.type === 'monetary';
    if (field.store !== false && numeric && name !== 'id' && !annotedGroupby.has(spec)) {
      annotedAggregates.set(name, `${name}:${field.groupOperator ?? 'sum'}`);
    }
  }

  let orderby: string;
  if (opts.orderby) {
    orderby = opts.orderby
      .split(',')
      .map((term) => {
        const t = term.trim();
        for (const [key, annoted] of [...[...annotedGroupby].reverse(), ...annotedAggregates]) {
          const k = key.split(':')[0]!;
          if (t.startsWith(`${k} `) || t === k) return t.replace(k, annoted);
        }
        return t;
      })
      .join(',');
  } else orderby = [...annotedGroupby.values()].join(',');

  // ---- _read_group
  model.checkAccessRights('read');
  const groupSpecs = [...annotedGroupby.values()];
  const aggSpecs = [...annotedAggregates.values()];
  let rowsOut: unknown[][] = [];
  if (!isFalseDomain(domain)) {
    const ids = model._search(domain);
    const rows = ids.map((id) => model.row(id)!);
    const keys: GroupKey[] = groupSpecs.map((spec) => groupKey(model, spec, tz));
    const aggs = aggSpecs.map((spec) => aggregateSpec(model, spec));

    // expand rows into (row, group values) tuples (many2many groups a row under each of its ids)
    const groups = new Map<string, { values: Raw[]; rows: Row[] }>();
    for (const r of rows) {
      let combos: Raw[][] = [[]];
      for (const k of keys) {
        const vs = k.values(r);
        combos = combos.flatMap((c) => vs.map((v) => [...c, v]));
      }
      for (const c of combos) {
        const id = JSON.stringify(c);
        const g = groups.get(id) ?? { values: c, rows: [] };
        g.rows.push(r);
        groups.set(id, g);
      }
    }
    const computed = [...groups.values()].map((g) => ({
      values: g.values,
      aggs: aggs.map((a) => a(g.rows)),
    }));

    // ORDER BY
    const orderTerms = orderby
      ? orderby.split(',').map((part) => {
          const m = ORDER_PART.exec(part);
          if (!m) throw valueError(`Invalid order ${pyRepr(orderby)} for _read_group()`);
          const term = m[2]!;
          const desc = (m[3] ?? 'asc').toLowerCase() === 'desc';
          const nullsFirst = m[4] ? m[4].toLowerCase() === 'nulls first' : desc;
          const gi = groupSpecs.indexOf(term);
          if (gi >= 0) {
            const field = model.def.fields[keys[gi]!.fname]!;
            const comodel = field.type === 'many2one' && opts.orderby ? model.env.model(field.relation!).sudo() : undefined;
            if (comodel && (comodel.def.order ?? 'id') !== 'id') {
              return {
                cmp: (a: { values: Raw[] }, b: { values: Raw[] }): number => {
                  const ra = a.values[gi] === null ? undefined : comodel.row(a.values[gi] as number);
                  const rb = b.values[gi] === null ? undefined : comodel.row(b.values[gi] as number);
                  if (!ra && !rb) return 0;
                  if (!ra) return nullsFirst ? -1 : 1;
                  if (!rb) return nullsFirst ? 1 : -1;
                  const sorted = comodel.sortRows([ra, rb], comodel.def.order ?? 'id');
                  return (sorted[0] === ra ? -1 : 1) * (desc ? -1 : 1);
                },
              };
            }
            return { cmp: cmpBy((g: { values: Raw[] }) => g.values[gi] ?? null, desc, nullsFirst) };
          }
          let ai = aggSpecs.indexOf(term);
          if (ai < 0) {
            try {
              aggs.push(aggregateSpec(model, term));
            } catch {
              throw valueError(`Order term ${pyRepr(part)} is not a valid aggregate nor valid groupby`);
            }
            ai = aggs.length - 1;
            const fn = aggs[ai]!;
            for (const c of computed) c.aggs[ai] = fn(groups.get(JSON.stringify(c.values))!.rows);
          }
          return { cmp: cmpBy((g: { aggs: unknown[] }) => normalizeAgg(g.aggs[ai]), desc, nullsFirst) };
        })
      : [];
    computed.sort((a, b) => {
      for (const t of orderTerms) {
        const c = t.cmp(a as never, b as never);
        if (c) return c;
      }
      return 0;
    });
    const offset = opts.offset ?? 0;
    const sliced = opts.limit ? computed.slice(offset, offset + opts.limit) : computed.slice(offset);
    rowsOut = sliced.map((g) => [...g.values, ...g.aggs.slice(0, aggSpecs.length)]);
  }

  // ---- format
  const groupNames = [...annotedGroupby.keys()];
  const aggNames = [...annotedAggregates.keys()];
  const result = rowsOut.map((row) => {
    const d: Record<string, unknown> = {};
    groupNames.forEach((n, i) => (d[n] = row[i]));
    aggNames.forEach((n, i) => {
      const v = row[groupNames.length + i];
      d[n] = v === null || v === undefined ? (aggSpecs[i] === '__count' ? 0 : false) : v;
    });
    d.__domain = domain;
    if (lazyGroupby.length < groupby.length) d.__context = { group_by: groupby.slice(lazyGroupby.length) };
    return d;
  });
  for (const spec of lazyGroupby) {
    const [fname] = parseSpec(spec);
    const field = model.def.fields[fname]!;
    const gran = (annotedGroupby.get(spec)!.split(':')[1] ?? 'month') as Granularity;
    for (const row of result) {
      let value = row[spec] as Raw;
      let additional: unknown[];
      if (field.type === 'many2one' || field.type === 'many2many') {
        if (value !== null && value !== false) {
          const comodel = model.env.model(field.relation!).sudo();
          const target = comodel.row(value as number);
          row[spec] = [value, target ? comodel.displayName(target) : ''];
        } else row[spec] = false;
      }
      if ((value === null || value === false) && field.type === 'many2many') {
        const others = result.map((o) => o[spec]).filter((v): v is [number, string] => Array.isArray(v)).map((v) => v[0]);
        additional = [[fname, 'not in', others]];
      } else additional = [[fname, '=', value === null ? false : value]];
      if (field.type === 'date' || field.type === 'datetime') {
        if (typeof value === 'string') {
          const start = parseDatetime(value.length === 10 ? `${value} 00:00:00` : value);
          const end = addInterval(start, gran);
          let from: string;
          let to: string;
          if (field.type === 'datetime') {
            const s = tz ? localToUtc(start, tz) : start;
            const e = tz ? localToUtc(end, tz) : end;
            from = formatDatetime(s);
            to = formatDatetime(e);
          } else {
            from = formatDatetime(start).slice(0, 10);
            to = formatDatetime(end).slice(0, 10);
          }
          row[spec] = label(start, gran);
          const range = (row.__range as Record<string, unknown> | undefined) ?? {};
          range[spec] = { from, to };
          row.__range = range;
          additional = ['&', [fname, '>=', from], [fname, '<', to]];
        } else {
          row[spec] = false;
          const range = (row.__range as Record<string, unknown> | undefined) ?? {};
          range[spec] = false;
          row.__range = range;
        }
      }
      value = null;
      row.__domain = combineDomains('&', [row.__domain as unknown[], additional]);
    }
  }
  return result;
}

function normalizeAgg(v: unknown): Raw {
  if (v === false || v === undefined) return null;
  if (Array.isArray(v)) return JSON.stringify(v);
  return v as Raw;
}

function cmpBy<T>(key: (g: T) => Raw, desc: boolean, nullsFirst: boolean): (a: T, b: T) => number {
  return (a, b) => {
    const va = key(a);
    const vb = key(b);
    if (va === null && vb === null) return 0;
    if (va === null) return nullsFirst ? -1 : 1;
    if (vb === null) return nullsFirst ? 1 : -1;
    const c = compareRaw(va, vb);
    return desc ? -c : c;
  };
}

function groupKey(model: Model, spec: string, tz: string | undefined): GroupKey {
  const [fname, , granRaw] = parseSpec(spec);
  const field = model.def.fields[fname];
  if (!field) throw valueError(`Invalid field ${pyRepr(fname)} on model ${pyRepr(model.name)}`);
  if (granRaw && field.type !== 'date' && field.type !== 'datetime') {
    throw valueError(`Granularity set on a no-datetime field or property: ${pyRepr(spec)}`);
  }
  if (field.type === 'date' || field.type === 'datetime') {
    if (!granRaw) throw valueError(`Granularity not set on a date(time) field: ${pyRepr(spec)}`);
    if (!(GRANULARITIES as readonly string[]).includes(granRaw)) throw valueError(`Granularity specification isn't correct: ${pyRepr(granRaw)}`);
    const gran = granRaw as Granularity;
    return {
      spec,
      fname,
      gran,
      values: (r) => {
        const v = r[fname];
        if (v === null || v === undefined) return [null];
        let d = parseDatetime(field.type === 'date' ? `${String(v)} 00:00:00` : String(v));
        if (field.type === 'datetime' && tz) d = utcToLocal(d, tz);
        const t = truncate(d, gran);
        return [field.type === 'date' ? formatDatetime(t).slice(0, 10) : formatDatetime(t)];
      },
    };
  }
  if (field.store === false || field.type === 'one2many') throw valueError(`Field ${pyRepr(fname)} on model ${pyRepr(model.name)} can't be grouped`);
  if (field.type === 'boolean') return { spec, fname, values: (r) => [r[fname] === true] };
  if (field.type === 'many2many') {
    return {
      spec,
      fname,
      values: (r) => {
        const ids = model.x2manyIds(r, fname);
        return ids.length ? ids : [null];
      },
    };
  }
  return { spec, fname, values: (r) => [r[fname] === undefined ? null : r[fname]!] };
}

function aggregateSpec(model: Model, spec: string): (rows: Row[]) => unknown {
  if (spec === '__count') return (rows) => rows.length;
  const [fname, , func] = parseSpec(spec);
  if (!model.def.fields[fname]) throw valueError(`Invalid field ${pyRepr(fname)} on model ${pyRepr(model.name)} for ${pyRepr(spec)}.`);
  if (!func) throw valueError(`Aggregate method is mandatory for ${pyRepr(fname)}`);
  if (!AGGREGATES.includes(func)) throw valueError(`Invalid aggregate method ${pyRepr(func)} for ${pyRepr(spec)}.`);
  const field = model.def.fields[fname]!;
  if (func === 'recordset' && !(field.type === 'many2one' || field.type === 'many2many' || field.type === 'one2many' || fname === 'id')) {
    throw valueError(`Aggregate method ${pyRepr(func)} can be only used on relational field (or id) (for ${pyRepr(spec)}).`);
  }
  return (rows) => aggregate(func, rows.map((r) => (fname === 'id' ? r.id : r[fname] === undefined ? null : r[fname]!)), rows);
}
