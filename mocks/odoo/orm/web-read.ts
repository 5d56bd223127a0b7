/**
 * Odoo 17's `web_read` / `web_search_read` (addons/web/models/models.py, inherited by every model): one call
 * that reads records and, following a nested specification, their many2one targets and x2many children.
 * The BFF reads a work order's detail — lines, quote versions, status log, parts — in one round trip with it.
 *
 * Followed as Odoo does it: the main read uses `load=None` (many2one as a bare id); a many2one with
 * `{fields: {...}}` becomes `{id, ...}` (its `display_name` read as superuser, other fields as the user); an x2many
 * with `order` re-searches its children (access rules and `active_test` apply) and keeps only those found, in
 * that order; an x2many with `fields` becomes a list of dicts (`limit` reads only the first n of each).
 */
import type { Model } from './orm';

export type Specification = Record<string, { fields?: Specification; order?: string; limit?: number; context?: Record<string, unknown> } | undefined>;

export function webRead(model: Model, ids: number[], specification: Specification): Record<string, unknown>[] {
  const spec = specification ?? {};
  const fieldsToRead = Object.keys(spec).length ? Object.keys(spec) : ['id'];
  const values: Record<string, unknown>[] =
    fieldsToRead.length === 1 && fieldsToRead[0] === 'id' ? ids.map((id) => ({ id })) : model.read(ids, fieldsToRead, null);
  if (!values.length) return values;

  for (const [fname, fspec] of Object.entries(spec)) {
    const field = model.def.fields[fname];
    if (!field || !fspec) continue;
    if (field.type === 'many2one') {
      if (!fspec.fields) continue;
      const comodel = ctx(model.env.model(field.relation!), fspec.context);
      const targetIds = unique(values.map((v) => v[fname]).filter((v): v is number => typeof v === 'number'));
      const extra = { ...fspec.fields };
      delete extra.display_name;
      const byId = new Map(webRead(comodel, targetIds, extra).map((v) => [v.id as number, v]));
      if ('display_name' in fspec.fields) {
        const su = comodel.sudo();
        for (const id of targetIds) {
          const row = su.row(id);
          const entry = byId.get(id);
          if (row && entry) entry.display_name = su.displayName(row);
        }
      }
      for (const v of values) {
        if (v[fname] === false) continue;
        v[fname] = byId.get(v[fname] as number) ?? false;
      }
    } else if (field.type === 'one2many' || field.type === 'many2many') {
      if (!Object.keys(fspec).length) continue;
      let comodel = model.env.model(field.relation!);
      let childIds = unique(values.flatMap((v) => v[fname] as number[]));
      if (fspec.order) {
        const found = comodel.search([['id', 'in', childIds]], { order: fspec.order });
        const rank = new Map(found.map((id, i) => [id, i]));
        for (const v of values) v[fname] = (v[fname] as number[]).filter((id) => rank.has(id)).sort((a, b) => rank.get(a)! - rank.get(b)!);
        childIds = found;
      }
      comodel = ctx(comodel, fspec.context);
      if (fspec.fields) {
        if (fspec.limit !== undefined && fspec.limit !== null) {
          const limit = fspec.limit;
          childIds = unique(values.flatMap((v) => (v[fname] as number[]).slice(0, limit)));
        }
        const byId = new Map(webRead(comodel, childIds, fspec.fields).map((r) => [r.id as number, r]));
        for (const v of values) v[fname] = (v[fname] as number[]).map((id) => byId.get(id) ?? { id });
      }
    }
  }
  return values;
}

/** `web_search_read`: search, web_read, and a count only when the page is full (as `_format_web_search_read_results`). */
export function webSearchRead(
  model: Model,
  domain: unknown[],
  specification: Specification,
  opts: { offset: number; limit: number | null; order: string | null; countLimit: number | null },
): { length: number; records: Record<string, unknown>[] } {
  const ids = model.search(domain, { offset: opts.offset, limit: opts.limit, order: opts.order });
  const records = webRead(model, ids, specification);
  if (!records.length) return { length: 0, records: [] };
  const current = records.length + opts.offset;
  const limitReached = records.length === opts.limit;
  const countLimitReached = Boolean(opts.countLimit) && opts.countLimit! <= current;
  const force = Boolean(model.env.context.force_search_count);
  const length = opts.limit && ((limitReached && !countLimitReached) || force) ? model.searchCount(domain, opts.countLimit) : current;
  return { length, records };
}

function ctx(model: Model, extra: Record<string, unknown> | undefined): Model {
  return extra ? model.withContext(extra) : model;
}

function unique(ids: number[]): number[] {
  return [...new Set(ids)];
}
