/**
 * The static check of our Odoo addons against every supported Odoo series (README "Odoo versions"): no Odoo code
 * runs here — the rules are what Odoo's 17/18/19/20 changelogs and upgrade notes changed, each with the series
 * where it is a violation. The addon's source tree targets 18+; the 17 build (scripts/odoo-addon-17.ts) is checked
 * against 17's rules.
 *
 *   npx tsx scripts/odoo-addon-check.ts [addon dir] [--series 17|18|19|20]   (default: odoo-addons/drmoto_workshop, 18 19 20)
 *
 * Python and XML are read as text: comments (and Python docstrings) are blanked first so prose can name an old API.
 * The one module allowed to name both sides of a rename is models/drmoto_compat.py (it picks one per series).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const SERIES = [17, 18, 19, 20] as const;
export type Series = (typeof SERIES)[number];
/** The series the source tree must pass; 17 only through its build. */
export const SOURCE_SERIES: readonly Series[] = [18, 19, 20];

export interface AddonFile {
  /** path inside the addon, with forward slashes */
  path: string;
  text: string;
}

export interface Violation {
  rule: string;
  series: Series;
  file: string;
  line: number;
  message: string;
}

interface Rule {
  id: string;
  /** series on which a hit is a violation */
  series: readonly Series[];
  /** what to write instead, and why */
  message: string;
  /** the files it reads */
  kind: 'py' | 'xml' | 'csv' | 'manifest';
  /** hits: offsets into the (comment-blanked) text */
  find(text: string, file: AddonFile): number[];
}

const COMPAT = 'models/drmoto_compat.py';
const from18: readonly Series[] = [18, 19, 20];
const from19: readonly Series[] = [19, 20];
const all: readonly Series[] = SERIES;

const matches = (re: RegExp) => (text: string) => [...text.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g'))].map((m) => m.index!);

/** Python source with comments and triple-quoted strings blanked (offsets and line numbers kept). */
export function blankPython(src: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (src.startsWith('"""', i) || src.startsWith("'''", i)) {
      const q = src.slice(i, i + 3);
      const end = src.indexOf(q, i + 3);
      const stop = end < 0 ? src.length : end + 3;
      out += blank(src.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'") {
      // a one-line string: kept (field names and route types live in strings)
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (c === '#') {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? src.length : end;
      out += blank(src.slice(i, stop));
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** XML with comments blanked. */
export function blankXml(src: string): string {
  return src.replace(/<!--[\s\S]*?-->/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** The `<record model="…">` (or `<template>`) that holds `offset`, if any. */
function recordModelAt(text: string, offset: number): string | undefined {
  const open = text.lastIndexOf('<record', offset);
  if (open < 0 || text.lastIndexOf('</record>', offset) > open) return undefined;
  return /model="([^"]+)"/.exec(text.slice(open, text.indexOf('>', open)))?.[1];
}

export const RULES: readonly Rule[] = [
  // ---- views
  {
    id: 'list-view',
    series: from18,
    kind: 'xml',
    message: '18 renamed the list view `<tree>` to `<list>` (and view_mode `tree` to `list`); 18+ take only `list` — the 17 build turns it back',
    find: (t) => [...matches(/<tree[\s>/]/)(t), ...matches(/<field name="view_mode">[^<]*\btree\b/)(t), ...matches(/'view_mode':\s*'tree'/)(t)],
  },
  {
    id: 'tree-view-17',
    series: [17],
    kind: 'xml',
    message: '17 knows only `<tree>` (view_mode `tree`): the 17 build must turn `<list>` back',
    find: (t) => [...matches(/<list[\s>/]/)(t), ...matches(/<field name="view_mode">[^<]*\blist\b/)(t), ...matches(/'view_mode':\s*'list'/)(t)],
  },
  {
    id: 'no-attrs-states',
    series: all,
    kind: 'xml',
    message: '17 removed `attrs=` and `states=` in views: write `invisible="expr"`, `readonly="expr"`, `required="expr"`',
    find: matches(/\s(attrs|states)="/),
  },
  {
    id: 'chatter',
    series: from18,
    kind: 'xml',
    message: '18 renders the chatter from `<chatter/>`; the 17 `<div class="oe_chatter">` with its three fields is gone',
    find: matches(/class="oe_chatter"/),
  },
  {
    id: 'chatter-17',
    series: [17],
    kind: 'xml',
    message: '17 has no `<chatter/>`: the 17 build writes the `oe_chatter` div',
    find: matches(/<chatter[\s/>]/),
  },
  {
    id: 'kanban-card',
    series: from19,
    kind: 'xml',
    message: '18 introduced the kanban `<t t-name="card">` template; 19 drops the legacy `kanban-box`',
    find: matches(/t-name="kanban-box"/),
  },
  {
    id: 'kanban-card-17',
    series: [17],
    kind: 'xml',
    message: '17 renders only `t-name="kanban-box"`: the 17 build renames the card template',
    find: matches(/t-name="card"/),
  },
  {
    id: 'search-group-attrs',
    series: from19,
    kind: 'xml',
    message: "19's search view grammar takes a bare `<group>` (no `expand`, no `string`): the group-by section needs no title",
    find: (t) => {
      const hits: number[] = [];
      for (const m of t.matchAll(/<search[\s>][\s\S]*?<\/search>/g)) {
        for (const g of m[0].matchAll(/<group[^>]*\s(expand|string)="/g)) hits.push(m.index! + g.index!);
      }
      return hits;
    },
  },
  {
    id: 'group-category',
    series: from19,
    kind: 'xml',
    message: '19 moved a group\'s app from `res.groups.category_id` to `privilege_id` (res.groups.privilege): set it in Python per series (hooks.py)',
    find: (t) => matches(/<field name="category_id"/)(t).filter((o) => recordModelAt(t, o) === 'res.groups'),
  },
  {
    id: 'group-users',
    series: from19,
    kind: 'xml',
    message: "19 renamed res.groups' `users` to `user_ids`: add members in Python (hooks.py, drmoto_compat.USER_GROUPS)",
    find: (t) => matches(/<field name="users"/)(t).filter((o) => recordModelAt(t, o) === 'res.groups'),
  },
  {
    id: 'payment-memo-view',
    series: from18,
    kind: 'xml',
    message: "18's account.payment has `memo`, not `ref` (it no longer `_inherits` account.move)",
    find: (t) => matches(/name="ref"/)(t).filter((o) => recordModelAt(t, o) === 'ir.ui.view' && /<field name="model">account\.payment</.test(t.slice(t.lastIndexOf('<record', o), o))),
  },
  // ---- fields and models
  {
    id: 'aggregator',
    series: from18,
    kind: 'py',
    message: '18 renamed the field option `group_operator=` to `aggregator=`',
    find: matches(/\bgroup_operator\s*=/),
  },
  {
    id: 'group-operator-17',
    series: [17],
    kind: 'py',
    message: '17 knows only `group_operator=`: leave the default (sum) or set it through drmoto_compat',
    find: matches(/\baggregator\s*=/),
  },
  {
    id: 'display-name',
    series: all,
    kind: 'py',
    message: '17 replaced `name_get` by `_compute_display_name` (18 removed it)',
    find: matches(/\bdef name_get\b|\.name_get\(/),
  },
  {
    id: 'search-display-name',
    series: from18,
    kind: 'py',
    message: '18 replaced `_name_search` by `_search_display_name`',
    find: matches(/\bdef _name_search\b|\._name_search\(/),
  },
  {
    id: 'has-group',
    series: all,
    kind: 'py',
    message: '`user_has_groups` is gone (deprecated 17, removed 18): `self.env.user.has_group(xmlid)`',
    find: matches(/\buser_has_groups\b/),
  },
  {
    id: 'check-access',
    series: from18,
    kind: 'py',
    message: '18 deprecates `check_access_rights` / `check_access_rule` for `check_access` (17 lacks it): drmoto_compat.check_access / check_model_access',
    find: (t, f) => (f.path === COMPAT ? [] : matches(/\.check_access_(rights|rule)\(/)(t)),
  },
  {
    id: 'as-validation-error',
    series: from19,
    kind: 'py',
    message: "19 removed odoo.service.model._as_validation_error (retrying builds the message itself): drmoto_compat.integrity_error_message",
    find: (t, f) => (f.path === COMPAT ? [] : matches(/\b_as_validation_error\b/)(t)),
  },
  {
    id: 'stock-move-name',
    series: from19,
    kind: 'py',
    message: '19 dropped `stock.move.name` (the move\'s description is `description_picking`): drmoto_compat.MOVE_DESCRIPTION',
    find: (t) => {
      const hits: number[] = [];
      for (const m of t.matchAll(/["']move_ids["']\s*:\s*\[\s*\(0,\s*0,\s*\{[\s\S]*?\}\)/g)) {
        for (const r of m[0].matchAll(/["']name["']\s*:/g)) hits.push(m.index! + r.index!);
      }
      return hits;
    },
  },
  {
    id: 'user-group-ids',
    series: from19,
    kind: 'py',
    message: "19 renamed res.users' `groups_id` to `group_ids`: use drmoto_compat.USER_GROUPS",
    find: (t, f) => (f.path === COMPAT ? [] : matches(/\bgroups_id\b/)(t)),
  },
  {
    id: 'user-group-ids-xml',
    series: from19,
    kind: 'xml',
    message: "19 renamed res.users' `groups_id` to `group_ids`; no data file may set it",
    find: matches(/name="groups_id"/),
  },
  {
    id: 'read-group',
    series: from19,
    kind: 'py',
    message: '19 deprecates the public `read_group`: `_read_group` in the backend, `formatted_read_group` for a formatted result',
    find: (t, f) => (f.path === COMPAT ? [] : matches(/(\.|\bdef\s+)read_group\(/)(t)),
  },
  {
    id: 'json-route',
    series: from19,
    kind: 'py',
    message: "19 renamed http routes `type='json'` to `type='jsonrpc'` (17/18 know only 'json'): take the type from drmoto_compat",
    find: matches(/\btype\s*=\s*["']json["']/),
  },
  {
    id: 'jsonrpc-route-18',
    series: [17, 18],
    kind: 'py',
    message: "`type='jsonrpc'` routes exist from 19 only: take the type from drmoto_compat",
    find: (t, f) => (f.path === COMPAT ? [] : matches(/\btype\s*=\s*["']jsonrpc["']/)(t)),
  },
  {
    id: 'product-type',
    series: from18,
    kind: 'py',
    message: "18 dropped `detailed_type`: storable = `type='consu'` + `is_storable` (drmoto_compat.product_type_vals / is_storable)",
    find: (t, f) => (f.path === COMPAT ? [] : [...matches(/\bdetailed_type\b/)(t), ...matches(/\btype\s*[!=]=\s*["']product["']/)(t)]),
  },
  {
    id: 'payment-memo',
    series: from18,
    kind: 'py',
    message: "18's account.payment has `memo`, not `ref`, and states in_process/paid, not posted: drmoto_compat.PAYMENT_MEMO / payment_posted",
    find: (t) => {
      const hits: number[] = [];
      for (const m of t.matchAll(/\["account\.payment"\][\s\S]*?\}\)/g)) {
        for (const r of m[0].matchAll(/["']ref["']\s*:/g)) hits.push(m.index! + r.index!);
      }
      for (const m of t.matchAll(/\bpayment\.state\s*[!=]=\s*["']posted["']|\bpayment\.ref\b/g)) hits.push(m.index!);
      return hits;
    },
  },
  {
    id: 'model-constraint',
    series: from19,
    kind: 'py',
    message: '19 ignores `_sql_constraints` (the constraint is never created): decorate the class with `@sql_constraints` (drmoto_compat declares each as `models.Constraint` on 19+)',
    find: (t) =>
      matches(/\b_sql_constraints\s*=/)(t).filter((o) => {
        const cls = t.lastIndexOf('\nclass ', o);
        return cls < 0 || !/@sql_constraints\s*$/.test(t.slice(0, cls));
      }),
  },
  {
    id: 'model-constraint-18',
    series: [17, 18],
    kind: 'py',
    message: '`models.Constraint` / `models.Index` exist from 19 only: declare `_sql_constraints` under `@sql_constraints`',
    find: (t, f) => (f.path === COMPAT ? [] : matches(/\bmodels\.(Constraint|Index|UniqueIndex)\(/)(t)),
  },
  // ---- manifest
  {
    id: 'manifest-version',
    series: all,
    kind: 'manifest',
    message: 'one manifest for every series: version `x.y.z` (Odoo prefixes its series; 18+ refuse a foreign `17.0.` prefix as not installable)',
    find: (t) => {
      const m = /["']version["']\s*:\s*["']([^"']*)["']/.exec(t);
      return m && /^\d+\.\d+\.\d+$/.test(m[1]!) ? [] : [m?.index ?? 0];
    },
  },
];

const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

function kindOf(p: string): Rule['kind'] | undefined {
  if (p === '__manifest__.py') return 'manifest';
  if (p.endsWith('.py')) return 'py';
  if (p.endsWith('.xml')) return 'xml';
  if (p.endsWith('.csv')) return 'csv';
  return undefined;
}

/** Every violation of `files` on the given series. */
export function checkAddon(files: readonly AddonFile[], series: readonly Series[] = SOURCE_SERIES): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    const kind = kindOf(file.path);
    if (!kind) continue;
    const text = kind === 'xml' ? blankXml(file.text) : kind === 'csv' ? file.text : blankPython(file.text);
    for (const rule of RULES) {
      const applies = rule.kind === kind || (rule.kind === 'py' && kind === 'manifest');
      if (!applies) continue;
      const on = rule.series.filter((s) => series.includes(s));
      if (on.length === 0) continue;
      for (const offset of rule.find(text, file)) {
        for (const s of on) out.push({ rule: rule.id, series: s, file: file.path, line: lineOf(text, offset), message: rule.message });
      }
    }
  }
  return out;
}

/** The addon's .py/.xml/.csv files. */
export function readAddon(dir: string): AddonFile[] {
  const out: AddonFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) {
        if (name !== '__pycache__') walk(full);
      } else if (kindOf(path.relative(dir, full).split(path.sep).join('/'))) {
        out.push({ path: path.relative(dir, full).split(path.sep).join('/'), text: readFileSync(full, 'utf8') });
      }
    }
  };
  walk(dir);
  return out;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const si = args.indexOf('--series');
  const series = si >= 0 ? (args.splice(si, 2)[1] ?? '').split(',').map(Number) as Series[] : SOURCE_SERIES;
  const dir = args[0] ?? path.join(__dirname, '..', 'odoo-addons', 'drmoto_workshop');
  const found = checkAddon(readAddon(dir), series);
  for (const v of found) console.log(`${v.file}:${v.line}: [${v.rule}, Odoo ${v.series}] ${v.message}`);
  console.log(`odoo-addon-check: ${found.length} violation(s) on Odoo ${series.join(', ')} in ${dir}`);
  process.exit(found.length ? 1 : 0);
}
