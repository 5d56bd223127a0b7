/**
 * A small in-memory Odoo ORM: a registry of model definitions (one file each under models/), tables of rows,
 * environments (uid + context + su), access rights (ir.model.access) and record rules (ir.rule), and the
 * generic public methods with Odoo 17's argument lists, return shapes and error messages.
 */
import {
  AccessError,
  MissingError,
  PyError,
  UserError,
  ValidationError,
  pyRepr,
  valueError,
} from '../errors';
import { combineDomains, compileDomain, isFalseDomain } from './domain';
import { readGroup } from './read-group';
import { formatDatetime, compareRaw, convertToStore, deepClone, LikeEscapeError } from './values';
import { Transactions, type Journal, type Table } from './journal';
import type { Context, FieldDef, MethodDef, ModelDef, Operation, ParamSpec, Raw, Row } from './types';
import { webRead, webSearchRead, type Specification } from './web-read';

export type Snapshot = Map<string, Table>;

/** res.users passwords; a change inside a transaction is journaled so a rollback undoes it. */
class Passwords extends Map<number, string> {
  journal: () => Journal | null = () => null;

  override set(id: number, pw: string): this {
    this.journal?.()?.password(id, super.get(id));
    return super.set(id, pw);
  }

  override delete(id: number): boolean {
    this.journal?.()?.password(id, super.get(id));
    return super.delete(id);
  }
}

const MAGIC_FIELDS: Record<string, FieldDef> = {
  id: { type: 'integer', string: 'ID', readonly: true },
  display_name: { type: 'char', string: 'Display Name', store: false, readonly: true },
  create_uid: { type: 'many2one', string: 'Created by', relation: 'res.users', readonly: true },
  create_date: { type: 'datetime', string: 'Created on', readonly: true },
  write_uid: { type: 'many2one', string: 'Last Updated by', relation: 'res.users', readonly: true },
  write_date: { type: 'datetime', string: 'Last Updated on', readonly: true },
};

export class Orm {
  readonly defs = new Map<string, ModelDef>();
  private tables: Snapshot = new Map();
  /** the open transaction's undo log, and the views that feed it (see transaction()) */
  private readonly tx = new Transactions();
  /** models whose rows hold arrays (stored many2many columns) */
  private readonly arrayTables = new Set<string>();
  /** res.users passwords (Odoo keeps them hashed in a column no read returns) */
  passwords: Map<number, string> = this.newPasswords();
  /** xml id → [model, id] (ir.model.data) */
  readonly xmlids = new Map<string, { model: string; id: number }>();
  /** group xml id → implied group xml ids */
  readonly impliedGroups = new Map<string, string[]>();
  /** The clock used for create_date/write_date; tests may replace it. */
  now: () => Date = () => new Date();

  constructor(defs: ModelDef[]) {
    for (const d of defs) this.register(d);
  }

  register(def: ModelDef): void {
    const fields: Record<string, FieldDef> = { ...def.fields };
    for (const [k, f] of Object.entries(MAGIC_FIELDS)) if (!fields[k]) fields[k] = f;
    for (const f of Object.values(fields)) {
      if (f.type === 'many2one' && !f.ondelete) f.ondelete = f.required ? 'restrict' : 'set null';
    }
    this.defs.set(def.name, { ...def, fields });
    if (Object.values(fields).some((f) => f.type === 'many2many' && f.store !== false)) this.arrayTables.add(def.name);
    else this.arrayTables.delete(def.name);
    if (!this.tables.has(def.name)) this.tables.set(def.name, { nextId: 1, rows: new Map() });
  }

  table(model: string): Table {
    const t = this.tables.get(model);
    if (!t) throw new PyError('KeyError', model);
    return this.tx.journal ? this.tx.view(t, this.arrayTables.has(model)) : t;
  }

  /**
   * Runs `fn` as one transaction, like the cursor of an execute_kw: if it throws, every row, next id and password
   * it changed is put back (copy-on-write, see journal.ts) and the error goes on. A nested call joins the open one.
   */
  transaction<T>(fn: () => T): T {
    return this.tx.run(fn, this.passwords);
  }

  private newPasswords(entries: Array<[number, string]> = []): Passwords {
    const p = new Passwords(entries);
    p.journal = () => this.tx.journal;
    return p;
  }

  env(uid: number, context: Context = {}, su = false): Env {
    return new Env(this, uid, context, su);
  }

  /** A superuser environment (uid 1, like odoo's __system__), for seeding and test inspection. */
  sudoEnv(context: Context = {}): Env {
    return new Env(this, 1, context, true);
  }

  snapshot(): Snapshot {
    const s = deepClone(this.tables);
    s.set('__passwords__', { nextId: 0, rows: new Map([...this.passwords].map(([id, pw]) => [id, { id, pw } as Row])) });
    return s;
  }

  restore(s: Snapshot): void {
    this.tables = deepClone(s);
    const pw = this.tables.get('__passwords__');
    this.passwords = this.newPasswords([...(pw?.rows.values() ?? [])].map((r) => [r.id, String(r.pw)]));
    this.tables.delete('__passwords__');
    for (const name of this.defs.keys()) if (!this.tables.has(name)) this.tables.set(name, { nextId: 1, rows: new Map() });
  }

  ref(xmlid: string): number {
    const r = this.xmlids.get(xmlid);
    if (!r) throw valueError(`External ID not found in the system: ${xmlid}`);
    return r.id;
  }

  /** group xml ids of a user, implied groups included */
  userGroups(uid: number): Set<string> {
    const row = this.table('res.users').rows.get(uid);
    const direct = new Set<string>();
    const groupIds = (row?.groups_id as number[] | undefined) ?? [];
    for (const [xmlid, r] of this.xmlids) if (r.model === 'res.groups' && groupIds.includes(r.id)) direct.add(xmlid);
    const out = new Set<string>();
    const visit = (g: string): void => {
      if (out.has(g)) return;
      out.add(g);
      for (const i of this.impliedGroups.get(g) ?? []) visit(i);
    };
    direct.forEach(visit);
    return out;
  }
}

export class Env {
  constructor(
    readonly orm: Orm,
    readonly uid: number,
    readonly context: Context,
    readonly su: boolean,
  ) {}

  model(name: string): Model {
    const def = this.orm.defs.get(name);
    if (!def) throw new PyError('KeyError', name);
    return new Model(this, def);
  }

  has(name: string): boolean {
    return this.orm.defs.has(name);
  }

  sudo(flag = true): Env {
    return new Env(this.orm, this.uid, this.context, flag);
  }

  withContext(extra: Context): Env {
    return new Env(this.orm, this.uid, { ...this.context, ...extra }, this.su);
  }

  withUser(uid: number): Env {
    return new Env(this.orm, uid, this.context, false);
  }

  get user(): Row {
    const u = this.orm.table('res.users').rows.get(this.uid);
    if (!u) throw new MissingError(`Record does not exist or has been deleted.\n(Record: res.users(${this.uid},), User: ${this.uid})`);
    return u;
  }

  hasGroup(xmlid: string): boolean {
    return this.orm.userGroups(this.uid).has(xmlid);
  }

  /** allowed companies: context allowed_company_ids ∩ user's companies, else the user's companies */
  companyIds(): number[] {
    const u = this.orm.table('res.users').rows.get(this.uid);
    const mine = (u?.company_ids as number[] | undefined) ?? [];
    const allowed = this.context.allowed_company_ids;
    if (Array.isArray(allowed) && allowed.length) return allowed.filter((c): c is number => typeof c === 'number' && mine.includes(c));
    return mine;
  }

  companyId(): number | null {
    const ids = this.companyIds();
    const u = this.orm.table('res.users').rows.get(this.uid);
    const main = (u?.company_id as number | null | undefined) ?? null;
    if (Array.isArray(this.context.allowed_company_ids)) return ids[0] ?? main;
    return main;
  }

  now(): string {
    return formatDatetime(this.orm.now());
  }
}

export interface SearchOpts {
  offset?: number;
  limit?: number | null;
  order?: string | null;
}

const ORDER_TERM = /^\s*("?)([a-z0-9_]+)\1(?:\.([a-z0-9_]+))?(?::([a-z_]+))?(?:\s+(asc|desc))?(?:\s+(nulls first|nulls last))?\s*$/i;

type Cmd = [number, ...unknown[]];

export class Model {
  constructor(
    readonly env: Env,
    readonly def: ModelDef,
  ) {}

  get name(): string {
    return this.def.name;
  }
  get recName(): string | undefined {
    return this.def.recName ?? (this.def.fields.name ? 'name' : undefined);
  }
  get hasActive(): boolean {
    return this.def.fields.active?.type === 'boolean';
  }

  withContext(extra: Context): Model {
    return new Model(this.env.withContext(extra), this.def);
  }
  sudo(flag = true): Model {
    return new Model(this.env.sudo(flag), this.def);
  }

  // ---------------------------------------------------------------- storage

  allRows(): Row[] {
    return [...this.env.orm.table(this.name).rows.values()];
  }
  row(id: number): Row | undefined {
    return this.env.orm.table(this.name).rows.get(id);
  }
  exists(ids: number[]): number[] {
    return ids.filter((id) => this.row(id));
  }

  /** ids of a one2many / many2many value of a row (inactive comodel records hidden unless active_test=False) */
  x2manyIds(row: Row, fname: string, activeTest = false): number[] {
    const field = this.def.fields[fname]!;
    const comodel = this.env.model(field.relation!);
    let ids: number[];
    if (field.type === 'one2many') {
      ids = comodel.allRows().filter((r) => r[field.inverseName!] === row.id).map((r) => r.id);
    } else ids = ((row[fname] as number[] | null) ?? []).filter((id) => comodel.row(id));
    if (activeTest && comodel.hasActive && this.env.context.active_test !== false) ids = ids.filter((id) => comodel.row(id)!.active !== false);
    return ids;
  }

  displayName(row: Row): string {
    if (this.def.displayName) return this.def.displayName(this.env, row);
    const rec = this.recName;
    if (rec) {
      const f = this.def.fields[rec]!;
      const v = row[rec];
      if (f.type === 'many2one') return v === null ? '' : this.env.model(f.relation!).displayName(this.env.model(f.relation!).row(v as number) ?? ({ id: 0 } as Row));
      return v === null || v === undefined ? '' : String(v);
    }
    return `${this.name},${row.id}`;
  }

  // ---------------------------------------------------------------- access

  checkAccessRights(op: Operation): void {
    if (this.env.su) return;
    const groups = this.env.orm.userGroups(this.env.uid);
    const letter = { read: 'r', write: 'w', create: 'c', unlink: 'u' }[op];
    for (const [g, perms] of Object.entries(this.def.acl)) if (perms.includes(letter) && (g === '' || groups.has(g))) return;
    // ir.model.access group_names_with_access: "Category/Group", ordered by category then group name
    const allowed = Object.entries(this.def.acl)
      .filter(([, p]) => p.includes(letter))
      .map(([g]) => groupFullName(this.env, g))
      .sort()
      .map((n) => `\t- ${n}`);
    const head = {
      read: `You are not allowed to access '${this.def.description}' (${this.name}) records.`,
      write: `You are not allowed to modify '${this.def.description}' (${this.name}) records.`,
      create: `You are not allowed to create '${this.def.description}' (${this.name}) records.`,
      unlink: `You are not allowed to delete '${this.def.description}' (${this.name}) records.`,
    }[op];
    const groupInfo = allowed.length
      ? `This operation is allowed for the following groups:\n${allowed.join('\n')}`
      : 'No group currently allows this operation.';
    throw new AccessError(`${head}\n\n${groupInfo}\n\nContact your administrator to request access if necessary.`);
  }

  /** The ir.rule domain for an operation (global rules AND-ed, group rules OR-ed), or null for none. */
  ruleDomain(op: Operation): unknown[] | null {
    if (this.env.su || !this.def.rules?.length) return null;
    const groups = this.env.orm.userGroups(this.env.uid);
    const rules = this.def.rules.filter((r) => r.perms.includes(op));
    const global = rules.filter((r) => !r.groups).map((r) => r.domain(this.env));
    const grouped = rules.filter((r) => r.groups && r.groups.some((g) => groups.has(g))).map((r) => r.domain(this.env));
    const parts = [...global];
    if (grouped.length) parts.push(combineDomains('|', grouped));
    if (!parts.length) return null;
    return combineDomains('&', parts);
  }

  checkAccessRule(ids: number[], op: Operation): void {
    // write/unlink on a missing id: MissingError, for superuser too (wire notes: "Record does not exist…")
    const missing = ids.filter((id) => !this.row(id));
    if (missing.length && (op === 'write' || op === 'unlink')) throw this.missingError(missing);
    if (this.env.su) return;
    const dom = this.ruleDomain(op);
    if (!dom) return;
    const pred = compileDomain(this.sudo().withContext({ active_test: false }), dom);
    const forbidden = ids.filter((id) => this.row(id) && pred(this.row(id)!) !== true);
    if (forbidden.length) {
      const user = this.env.user;
      throw new AccessError(
        `Uh-oh! Looks like you have stumbled upon some top-secret records.\n\nSorry, ${String(user.name)} (id=${user.id}) doesn't have '${op}' access to:\n- ${this.def.description} (${this.name})\n\nIf you really, really need access, perhaps you can win over your friendly administrator with a batch of freshly baked cookies.`,
      );
    }
  }

  private missingError(ids: number[]): MissingError {
    return new MissingError(`Record does not exist or has been deleted.\n(Record: ${this.name}${pyRepr(ids.slice(0, 6), true)}, User: ${this.env.uid})`);
  }

  // ---------------------------------------------------------------- search

  /** models.py _search: access rights, active test, record rules, order/offset/limit → ids */
  _search(domain: unknown[], opts: SearchOpts = {}): number[] {
    this.checkAccessRights('read');
    if (!Array.isArray(domain)) throw new PyError('AssertionError', "Domains to normalize must have a 'domain' form: a list or tuple of domain components");
    if (isFalseDomain(domain)) return [];
    let dom = domain;
    if (this.hasActive && this.env.context.active_test !== false) {
      if (!domain.some((item) => Array.isArray(item) && item[0] === 'active')) dom = [['active', '=', 1], ...domain];
    }
    let pred;
    let rulePred;
    try {
      pred = compileDomain(this, dom);
      const rd = this.ruleDomain('read');
      rulePred = rd ? compileDomain(this.sudo().withContext({ active_test: false }), rd) : null;
    } catch (e) {
      if (e instanceof LikeEscapeError) throw new PyError('Exception', e.message);
      throw e;
    }
    let rows = this.allRows().filter((r) => pred(r) === true && (!rulePred || rulePred(r) === true));
    rows = this.sortRows(rows, opts.order ?? this.def.order ?? 'id');
    const offset = opts.offset ?? 0;
    const limit = opts.limit ?? undefined;
    const sliced = limit ? rows.slice(offset, offset + limit) : rows.slice(offset);
    return sliced.map((r) => r.id);
  }

  /** parsed `order`, with many2one terms expanded into the comodel's order (as _order_to_sql does) */
  private orderKeys(order: string, depth = 0): Array<{ key: (r: Row) => Raw; desc: boolean; nullsFirst: boolean }> {
    const out: Array<{ key: (r: Row) => Raw; desc: boolean; nullsFirst: boolean }> = [];
    for (const part of order.split(',')) {
      const m = ORDER_TERM.exec(part);
      if (!m) {
        throw new UserError(
          `Invalid "order" specified (${order}). A valid "order" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)`,
        );
      }
      const fname = m[2]!;
      const desc = (m[5] ?? 'asc').toLowerCase() === 'desc';
      const nulls = m[6]?.toLowerCase();
      const nullsFirst = nulls ? nulls === 'nulls first' : desc;
      const field = this.def.fields[fname];
      if (!field) throw valueError(`Invalid field ${pyRepr(fname)} on model ${pyRepr(this.name)}`);
      if (field.store === false || field.type === 'one2many' || field.type === 'many2many') {
        // _order_to_sql: non-stored fields can't be sorted on and are skipped (with a warning)
        continue;
      }
      if (field.type === 'many2one' && depth < 3) {
        const comodel = this.env.model(field.relation!).sudo();
        const sub = comodel.orderKeys(comodel.def.order ?? 'id', depth + 1);
        for (const s of sub) {
          out.push({
            key: (r) => {
              const target = r[fname] === null ? undefined : comodel.row(r[fname] as number);
              return target ? s.key(target) : null;
            },
            desc: desc !== s.desc,
            nullsFirst: desc !== s.desc,
          });
        }
        continue;
      }
      out.push({ key: (r) => (r[fname] === undefined ? null : r[fname]!), desc, nullsFirst });
    }
    return out;
  }

  sortRows(rows: Row[], order: string): Row[] {
    const keys = this.orderKeys(order);
    return [...rows].sort((a, b) => {
      for (const k of keys) {
        const va = k.key(a);
        const vb = k.key(b);
        if (va === null && vb === null) continue;
        if (va === null) return k.nullsFirst ? -1 : 1;
        if (vb === null) return k.nullsFirst ? 1 : -1;
        const c = compareRaw(va, vb);
        if (c !== 0) return k.desc ? -c : c;
      }
      return a.id - b.id; // PostgreSQL leaves ties unordered; the mock is deterministic
    });
  }

  _nameSearchIds(name: string, domain: unknown[] = [], operator = 'ilike', limit?: number): number[] {
    const fnames = this.def.recNamesSearch ?? (this.recName ? [this.recName] : []);
    let dom = [...domain];
    if (fnames.length && !(name === '' && (operator === 'like' || operator === 'ilike'))) {
      const agg = ['!=', 'not like', 'not ilike', 'not in'].includes(operator) ? '&' : '|';
      dom = [...dom, ...Array<string>(fnames.length - 1).fill(agg), ...fnames.map((f) => [f, operator, name])];
    }
    return this._search(dom, { limit: limit ?? null, order: this.def.order });
  }

  // ---------------------------------------------------------------- public API

  search(domain: unknown[], opts: SearchOpts = {}): number[] {
    return this._search(domain, opts);
  }

  searchCount(domain: unknown[], limit?: number | null): number {
    return this._search(domain, { limit: limit ?? null }).length;
  }

  searchRead(domain: unknown[] | null, fields: string[] | null, opts: SearchOpts = {}): Record<string, unknown>[] {
    const ids = this._search(domain ?? [], opts);
    if (!ids.length) return [];
    return this.read(ids, fields);
  }

  read(ids: number[], fields: string[] | null = null, load: string | null = '_classic_read'): Record<string, unknown>[] {
    this.checkAccessRights('read');
    const names = fields && fields.length ? fields : Object.keys(this.def.fields);
    for (const n of names) if (!this.def.fields[n]) throw valueError(`Invalid field ${pyRepr(n)} on model ${pyRepr(this.name)}`);
    const unique = [...new Set(ids)];
    this.checkAccessRule(unique, 'read');
    const out: Record<string, unknown>[] = [];
    for (const id of ids) {
      const row = this.row(id);
      if (!row) continue; // _read_format drops records that don't exist
      const vals: Record<string, unknown> = { id };
      for (const n of names) if (n !== 'id') vals[n] = this.readValue(row, n, load === '_classic_read');
      out.push(vals);
    }
    return out;
  }

  /** convert_to_read */
  readValue(row: Row, fname: string, displayNames = true): unknown {
    const field = this.def.fields[fname]!;
    if (fname === 'display_name') return this.displayName(row);
    const raw = field.compute && field.store === false ? field.compute(this.env, row) : row[fname];
    switch (field.type) {
      case 'integer':
      case 'float':
      case 'monetary':
        return raw === null || raw === undefined ? 0 : raw;
      case 'boolean':
        return raw === true;
      case 'many2one': {
        if (raw === null || raw === undefined) return false;
        const comodel = this.env.model(field.relation!).sudo();
        const target = comodel.row(raw as number);
        if (!target) return false;
        return displayNames ? [target.id, comodel.displayName(target)] : target.id;
      }
      case 'one2many':
      case 'many2many': {
        const ids = field.compute && field.store === false ? ((raw as number[]) ?? []) : this.x2manyIds(row, fname, true);
        const comodel = this.env.model(field.relation!).sudo();
        return comodel.sortRows(ids.map((id) => comodel.row(id)).filter((r): r is Row => !!r), comodel.def.order ?? 'id').map((r) => r.id);
      }
      default:
        return raw === null || raw === undefined ? false : raw;
    }
  }

  private defaultFor(fname: string): Raw | undefined {
    const key = `default_${fname}`;
    if (key in this.env.context) return this.env.context[key] as Raw;
    const d = this.def.fields[fname]!.default;
    if (d === undefined) return undefined;
    return typeof d === 'function' ? d(this.env) : d;
  }

  create(valsList: Array<Record<string, unknown>>): number[] {
    const prepared: Array<Record<string, unknown>> = [];
    for (const input of valsList) {
      if (input === null || typeof input !== 'object' || Array.isArray(input)) {
        throw new PyError('AttributeError', `'${Array.isArray(input) ? 'list' : typeof input}' object has no attribute 'items'`);
      }
      const vals: Record<string, unknown> = { ...input };
      for (const k of Object.keys(vals)) if (!this.def.fields[k]) throw valueError(`Invalid field ${pyRepr(k)} on model ${pyRepr(this.name)}`);
      this.def.hooks?.preCreate?.(this.env, vals);
      prepared.push(vals);
    }
    this.checkAccessRights('create');
    const table = this.env.orm.table(this.name);
    const created: Row[] = [];
    for (const vals of prepared) {
      for (const [fname, f] of Object.entries(this.def.fields)) {
        if (fname in vals || f.store === false || MAGIC_FIELDS[fname]) continue;
        const d = this.defaultFor(fname);
        if (d !== undefined) vals[fname] = d;
      }
      this.def.hooks?.beforeCreate?.(this.env, vals);
      const id = table.nextId++;
      const now = this.env.now();
      const row: Row = { id };
      for (const [fname, f] of Object.entries(this.def.fields)) {
        if (fname === 'id' || f.store === false || f.type === 'one2many') continue;
        row[fname] = f.type === 'many2many' ? [] : f.type === 'boolean' ? false : ['integer', 'float', 'monetary'].includes(f.type) ? 0 : null;
      }
      Object.assign(row, { create_uid: this.env.uid, write_uid: this.env.uid, create_date: now, write_date: now });
      table.rows.set(id, row);
      const x2m: Array<[string, unknown]> = [];
      for (const [fname, v] of Object.entries(vals)) {
        const f = this.def.fields[fname]!;
        if (MAGIC_FIELDS[fname] || f.store === false) continue;
        if (f.type === 'one2many' || f.type === 'many2many') x2m.push([fname, v]);
        else row[fname] = convertToStore(f, fname, this.name, v);
      }
      for (const [fname, v] of x2m) this.applyX2many(row, fname, v);
      for (const c of this.def.computes ?? []) Object.assign(row, c.compute(this.env, row));
      created.push(row);
    }
    for (const row of created) this.checkRow(row, Object.keys(this.def.fields));
    for (const c of this.def.constraints ?? []) c.check(this.env, created);
    this.checkAccessRule(
      created.map((r) => r.id),
      'create',
    );
    this.def.hooks?.afterCreate?.(this.env, created);
    return created.map((r) => r.id);
  }

  write(ids: number[], vals: Record<string, unknown>): true {
    if (vals === null || typeof vals !== 'object' || Array.isArray(vals)) throw new PyError('AttributeError', `'${typeof vals}' object has no attribute 'items'`);
    if (this.def.hooks?.preWrite) {
      vals = { ...vals };
      this.def.hooks.preWrite(this.env, [...new Set(ids)].map((id) => this.row(id)).filter((r): r is Row => !!r), vals);
    }
    this.checkAccessRights('write');
    for (const k of Object.keys(vals)) if (!this.def.fields[k]) throw valueError(`Invalid field ${pyRepr(k)} on model ${pyRepr(this.name)}`);
    const unique = [...new Set(ids)];
    this.checkAccessRule(unique, 'write');
    const rows = unique.map((id) => this.row(id)!);
    const v: Record<string, unknown> = { ...vals };
    this.def.hooks?.beforeWrite?.(this.env, rows, v);
    const now = this.env.now();
    for (const row of rows) {
      for (const [fname, value] of Object.entries(v)) {
        const f = this.def.fields[fname]!;
        if (MAGIC_FIELDS[fname] || f.store === false) continue;
        if (f.type === 'one2many' || f.type === 'many2many') this.applyX2many(row, fname, value);
        else row[fname] = convertToStore(f, fname, this.name, value);
      }
      row.write_uid = this.env.uid;
      row.write_date = now;
      for (const c of this.def.computes ?? []) if (c.depends.some((d) => d in v)) Object.assign(row, c.compute(this.env, row));
    }
    const changed = Object.keys(v);
    const computed = (this.def.computes ?? []).filter((c) => c.depends.some((d) => d in v)).flatMap((c) => c.fields);
    for (const row of rows) this.checkRow(row, [...changed, ...computed]);
    for (const c of this.def.constraints ?? []) if (c.fields.some((f) => changed.includes(f) || computed.includes(f))) c.check(this.env, rows);
    this.def.hooks?.afterWrite?.(this.env, rows, v);
    return true;
  }

  unlink(ids: number[]): true {
    this.def.hooks?.preUnlink?.(
      this.env,
      [...new Set(ids)].map((id) => this.row(id)).filter((r): r is Row => !!r),
    );
    this.checkAccessRights('unlink');
    const unique = [...new Set(ids)];
    this.checkAccessRule(unique, 'unlink');
    const rows = unique.map((id) => this.row(id)!);
    this.def.hooks?.beforeUnlink?.(this.env, rows);
    this.deleteRows(unique);
    this.def.hooks?.afterUnlink?.(this.env, rows);
    return true;
  }

  private deleteRows(ids: number[]): void {
    if (!ids.length) return;
    const idSet = new Set(ids);
    for (const def of this.env.orm.defs.values()) {
      for (const [fname, f] of Object.entries(def.fields)) {
        if (f.relation !== this.name || f.store === false) continue;
        const other = this.env.model(def.name).sudo();
        if (f.type === 'many2many') {
          // only rows that held a deleted id are written (a write is what a transaction has to save)
          for (const r of other.allRows()) {
            const held = (r[fname] as number[] | null) ?? [];
            if (held.some((id) => idSet.has(id))) r[fname] = held.filter((id) => !idSet.has(id));
          }
        } else if (f.type === 'many2one') {
          const refs = other.allRows().filter((r) => idSet.has(r[fname] as number) && !(def.name === this.name && idSet.has(r.id)));
          if (!refs.length) continue;
          if (f.ondelete === 'cascade') other.deleteRows(refs.map((r) => r.id));
          else if (f.ondelete === 'restrict') {
            throw new ValidationError(
              `The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: ${def.description} (${def.name})\nConstraint: ${def.name.replace(/\./g, '_')}_${fname}_fkey\n`,
            );
          } else for (const r of refs) r[fname] = null;
        }
      }
    }
    const table = this.env.orm.table(this.name);
    for (const id of ids) table.rows.delete(id);
  }

  /** NOT NULL, foreign keys and SQL constraints, as the database would check them at flush. */
  private checkRow(row: Row, fnames: string[]): void {
    for (const fname of fnames) {
      const f = this.def.fields[fname];
      if (!f || f.store === false) continue;
      if (f.required && f.type !== 'one2many' && f.type !== 'many2many' && f.type !== 'boolean' && (row[fname] === null || row[fname] === undefined)) {
        throw new ValidationError(
          `The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: ${this.def.description} (${this.name})\nField: ${f.string} (${fname})\n`,
        );
      }
      if (f.type === 'many2one' && !MAGIC_FIELDS[fname] && row[fname] !== null && !this.env.model(f.relation!).row(row[fname] as number)) {
        throw new ValidationError(
          `The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: ${this.def.description} (${this.name})\nConstraint: ${this.name.replace(/\./g, '_')}_${fname}_fkey\n`,
        );
      }
    }
    for (const c of this.def.sqlConstraints ?? []) {
      if (c.check) {
        if ((c.checkFields ?? []).some((f) => fnames.includes(f)) && !c.check(row)) throw new ValidationError(`The operation cannot be completed: ${c.message}`);
        continue;
      }
      if (!c.unique.some((f) => fnames.includes(f)) && !(c.where && fnames.length)) continue;
      if (c.where && !c.where(row)) continue;
      const key = c.unique.map((f) => row[f]);
      if (key.some((k) => k === null || k === undefined)) continue;
      const clash = this.allRows().some((o) => o.id !== row.id && (!c.where || c.where(o)) && c.unique.every((f, i) => o[f] === key[i]));
      if (clash) throw new ValidationError(`The operation cannot be completed: ${c.message}`);
    }
  }

  /** x2many commands (Command.create/update/delete/unlink/link/clear/set) or a plain id list */
  private applyX2many(row: Row, fname: string, value: unknown): void {
    const f = this.def.fields[fname]!;
    const comodel = this.env.model(f.relation!);
    if (value === false || value === null) value = [[5, 0, 0]];
    if (!Array.isArray(value)) throw valueError(`Wrong value for ${this.name}.${fname}: ${pyRepr(value)}`);
    const cmds: Cmd[] = value.every((x) => typeof x === 'number') ? [[6, 0, value]] : (value as Cmd[]);
    const isO2m = f.type === 'one2many';
    let current = isO2m ? null : [...((row[fname] as number[]) ?? [])];
    const setInverse = (id: number, v: number | null): void => {
      comodel.sudo().write([id], { [f.inverseName!]: v === null ? false : v });
    };
    for (const cmd of cmds) {
      if (!Array.isArray(cmd)) throw valueError(`Wrong value for ${this.name}.${fname}: ${pyRepr(value)}`);
      const [code, id, vals] = cmd as [number, number, unknown];
      switch (code) {
        case 0: {
          const v = { ...((vals as Record<string, unknown>) ?? {}) };
          if (isO2m) v[f.inverseName!] = row.id;
          const [newId] = comodel.create([v]);
          if (!isO2m) current!.push(newId!);
          break;
        }
        case 1:
          comodel.write([id], (vals as Record<string, unknown>) ?? {});
          break;
        case 2:
          comodel.unlink([id]);
          if (current) current = current.filter((x) => x !== id);
          break;
        case 3:
          if (isO2m) {
            const inv = comodel.def.fields[f.inverseName!]!;
            if (inv.ondelete === 'cascade' || inv.required) comodel.unlink([id]);
            else setInverse(id, null);
          } else current = current!.filter((x) => x !== id);
          break;
        case 4:
          if (isO2m) setInverse(id, row.id);
          else if (!current!.includes(id)) current!.push(id);
          break;
        case 5:
          if (isO2m) for (const cid of this.x2manyIds(row, fname)) this.applyX2many(row, fname, [[3, cid, 0]]);
          else current = [];
          break;
        case 6: {
          const ids = ((cmd[2] as number[]) ?? []).filter((x) => typeof x === 'number');
          if (isO2m) {
            for (const cid of this.x2manyIds(row, fname)) if (!ids.includes(cid)) this.applyX2many(row, fname, [[3, cid, 0]]);
            for (const cid of ids) setInverse(cid, row.id);
          } else current = [...new Set(ids)];
          break;
        }
        default:
          throw valueError(`Wrong value for ${this.name}.${fname}: ${pyRepr(cmd)}`);
      }
    }
    if (!isO2m) {
      for (const id of current!) {
        if (!comodel.row(id)) {
          throw new ValidationError(
            `The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: ${this.def.description} (${this.name})\nConstraint: ${this.name.replace(/\./g, '_')}_${fname}_fkey\n`,
          );
        }
      }
      row[fname] = current!;
    }
  }

  nameSearch(name = '', args: unknown[] | null = null, operator = 'ilike', limit: number | null = 100): Array<[number, string]> {
    const ids = this._nameSearchIds(name, args ?? [], operator, limit ?? undefined);
    const sudo = this.sudo();
    return ids.map((id) => [id, sudo.displayName(this.row(id)!)]);
  }

  fieldsGet(allfields: string[] | null = null, attributes: string[] | null = null): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [fname, f] of Object.entries(this.def.fields)) {
      if (allfields && allfields.length && !allfields.includes(fname)) continue;
      const desc = describeField(this.env, fname, f);
      if (attributes && attributes.length) {
        out[fname] = Object.fromEntries(Object.entries(desc).filter(([k]) => attributes.includes(k)));
      } else out[fname] = desc;
    }
    return out;
  }

  readGroup(
    domain: unknown[],
    fields: string[],
    groupby: string[] | string,
    opts: { offset?: number; limit?: number | null; orderby?: string | false | null; lazy?: boolean } = {},
  ): Record<string, unknown>[] {
    return readGroup(this, domain, fields, groupby, opts);
  }

  // ---------------------------------------------------------------- RPC dispatch (odoo.api.call_kw)

  call(method: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
    const { context, ...kw } = kwargs;
    const model = context && typeof context === 'object' ? new Model(this.env.withContext(context as Context), this.def) : this;
    const builtin = BUILTINS[method];
    const custom = this.def.methods?.[method];
    const spec: MethodDef | undefined = custom ?? builtin;
    if (!spec) throw new PyError('AttributeError', `The method '${method}' does not exist on the model '${this.name}'`);
    let ids: number[] = [];
    let rest = args;
    if (spec.api === 'records') {
      if (args.length === 0) throw new PyError('IndexError', 'tuple index out of range');
      const first = args[0];
      ids = typeof first === 'number' ? [first] : Array.isArray(first) ? (first as number[]) : first === false || first === null ? [] : [first as number];
      rest = args.slice(1);
    }
    const bound = bindArgs(method, spec.params, rest, kw);
    return spec.fn(model.env, bound, ids);
  }
}

function bindArgs(method: string, params: ParamSpec[], args: unknown[], kwargs: Record<string, unknown>): unknown[] {
  const allowsExtra = params.some((p) => p.name === '**kwargs');
  const plain = params.filter((p) => p.name !== '**kwargs');
  if (args.length > plain.length) {
    const required = plain.filter((p) => !('default' in p)).length;
    const range = required === plain.length ? `${plain.length + 1}` : `from ${required + 1} to ${plain.length + 1}`;
    throw new PyError('TypeError', `${method}() takes ${range} positional arguments but ${args.length + 1} were given`);
  }
  const out: unknown[] = [];
  const missing: string[] = [];
  plain.forEach((p, i) => {
    if (i < args.length) {
      if (p.name in kwargs) throw new PyError('TypeError', `${method}() got multiple values for argument '${p.name}'`);
      out.push(args[i]);
    } else if (p.name in kwargs) out.push(kwargs[p.name]);
    else if ('default' in p) out.push(p.default);
    else missing.push(p.name);
  });
  if (missing.length) {
    const names = missing.map((n) => `'${n}'`);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    throw new PyError('TypeError', `${method}() missing ${missing.length} required positional argument${missing.length > 1 ? 's' : ''}: ${list}`);
  }
  for (const k of Object.keys(kwargs)) {
    if (!plain.some((p) => p.name === k) && !allowsExtra) throw new PyError('TypeError', `${method}() got an unexpected keyword argument '${k}'`);
  }
  return out;
}

const asDomain = (v: unknown): unknown[] => {
  if (v === null || v === undefined || v === false) return [];
  return v as unknown[];
};
const asFields = (v: unknown): string[] | null => (Array.isArray(v) ? (v as string[]) : null);
const asNum = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const asOrder = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** The generic methods the BFF may call, with Odoo 17's signatures. */
const BUILTINS: Record<string, MethodDef> = {
  search: {
    api: 'model',
    params: [{ name: 'domain' }, { name: 'offset', default: 0 }, { name: 'limit', default: null }, { name: 'order', default: null }],
    fn: (env, [domain, offset, limit, order], _ids) =>
      env.model(currentModel(env)).search(domain as unknown[], { offset: asNum(offset) ?? 0, limit: asNum(limit), order: asOrder(order) }),
  },
  search_count: {
    api: 'model',
    params: [{ name: 'domain' }, { name: 'limit', default: null }],
    fn: (env, [domain, limit]) => env.model(currentModel(env)).searchCount(domain as unknown[], asNum(limit)),
  },
  search_read: {
    api: 'model',
    params: [
      { name: 'domain', default: null },
      { name: 'fields', default: null },
      { name: 'offset', default: 0 },
      { name: 'limit', default: null },
      { name: 'order', default: null },
      { name: '**kwargs' },
    ],
    fn: (env, [domain, fields, offset, limit, order]) =>
      env.model(currentModel(env)).searchRead(asDomain(domain), asFields(fields), { offset: asNum(offset) ?? 0, limit: asNum(limit), order: asOrder(order) }),
  },
  read: {
    api: 'records',
    params: [{ name: 'fields', default: null }, { name: 'load', default: '_classic_read' }],
    fn: (env, [fields, load], ids) => env.model(currentModel(env)).read(ids, asFields(fields), load as string | null),
  },
  web_read: {
    api: 'records',
    params: [{ name: 'specification' }],
    fn: (env, [specification], ids) => webRead(env.model(currentModel(env)), ids, specification as Specification),
  },
  web_search_read: {
    api: 'model',
    params: [
      { name: 'domain' },
      { name: 'specification' },
      { name: 'offset', default: 0 },
      { name: 'limit', default: null },
      { name: 'order', default: null },
      { name: 'count_limit', default: null },
    ],
    fn: (env, [domain, specification, offset, limit, order, countLimit]) =>
      webSearchRead(env.model(currentModel(env)), asDomain(domain), specification as Specification, {
        offset: asNum(offset) ?? 0,
        limit: asNum(limit),
        order: asOrder(order),
        countLimit: asNum(countLimit),
      }),
  },
  create: {
    api: 'model',
    params: [{ name: 'vals_list' }],
    fn: (env, [vals]) => {
      const m = env.model(currentModel(env));
      if (Array.isArray(vals)) return m.create(vals as Array<Record<string, unknown>>);
      const [id] = m.create([vals as Record<string, unknown>]);
      return id;
    },
  },
  write: {
    api: 'records',
    params: [{ name: 'vals' }],
    fn: (env, [vals], ids) => env.model(currentModel(env)).write(ids, vals as Record<string, unknown>),
  },
  unlink: { api: 'records', params: [], fn: (env, _a, ids) => env.model(currentModel(env)).unlink(ids) },
  exists: { api: 'records', params: [], fn: (env, _a, ids) => env.model(currentModel(env)).exists(ids) },
  name_search: {
    api: 'model',
    params: [{ name: 'name', default: '' }, { name: 'args', default: null }, { name: 'operator', default: 'ilike' }, { name: 'limit', default: 100 }],
    fn: (env, [name, args, operator, limit]) =>
      env.model(currentModel(env)).nameSearch(String(name ?? ''), asDomain(args), String(operator), asNum(limit)),
  },
  fields_get: {
    api: 'model',
    params: [{ name: 'allfields', default: null }, { name: 'attributes', default: null }],
    fn: (env, [allfields, attributes]) => env.model(currentModel(env)).fieldsGet(asFields(allfields), asFields(attributes)),
  },
  read_group: {
    api: 'model',
    params: [
      { name: 'domain' },
      { name: 'fields' },
      { name: 'groupby' },
      { name: 'offset', default: 0 },
      { name: 'limit', default: null },
      { name: 'orderby', default: false },
      { name: 'lazy', default: true },
    ],
    fn: (env, [domain, fields, groupby, offset, limit, orderby, lazy]) =>
      env.model(currentModel(env)).readGroup(asDomain(domain), (fields as string[]) ?? [], groupby as string[] | string, {
        offset: asNum(offset) ?? 0,
        limit: asNum(limit),
        orderby: (orderby as string | false) || false,
        lazy: lazy !== false,
      }),
  },
};

/** The model the current call runs on (set by Model.call through the environment). */
const CURRENT_MODEL = '__model__';
function currentModel(env: Env): string {
  return env.context[CURRENT_MODEL] as string;
}

/** call a method as execute_kw does, on `model` for `env`. */
export function callKw(env: Env, model: string, method: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
  if (method.startsWith('_')) throw new AccessError(`Private methods (such as ${method}) cannot be called remotely.`);
  if (!env.has(model)) throw new UserError(`Object ${model} doesn't exist`);
  const { context, ...kw } = kwargs;
  const ctx = { ...((context && typeof context === 'object' ? context : {}) as Context), [CURRENT_MODEL]: model };
  return env.withContext(ctx).model(model).call(method, args, kw);
}

function groupFullName(env: Env, xmlid: string): string {
  const ref = env.orm.xmlids.get(xmlid);
  const row = ref ? env.orm.table('res.groups').rows.get(ref.id) : undefined;
  if (!row) return xmlid;
  return row.category_name ? `${String(row.category_name)}/${String(row.name)}` : String(row.name);
}

function describeField(env: Env, fname: string, f: FieldDef): Record<string, unknown> {
  const stored = f.store !== false;
  const d: Record<string, unknown> = {
    change_default: false,
    company_dependent: false,
    depends: [],
    exportable: true,
    groupable: stored && f.type !== 'one2many',
    manual: false,
    name: fname,
    readonly: Boolean(f.readonly || (f.compute && !stored)),
    required: Boolean(f.required),
    searchable: stored || fname === 'display_name',
    sortable: stored && f.type !== 'one2many' && f.type !== 'many2many',
    store: stored,
    string: f.string,
    type: f.type,
  };
  if (f.help) d.help = f.help;
  if (f.type === 'char') {
    d.size = f.size ?? undefined;
    d.translate = Boolean(f.translate);
    d.trim = true;
    if (d.size === undefined) delete d.size;
  }
  if (f.type === 'text') d.translate = Boolean(f.translate);
  if (f.type === 'selection') d.selection = f.selection ?? [];
  if (f.type === 'many2one' || f.type === 'one2many' || f.type === 'many2many') {
    d.relation = f.relation;
    d.context = {};
    d.domain = [];
  }
  if (f.type === 'one2many') d.relation_field = f.inverseName;
  if (f.type === 'float' && f.digits) d.digits = f.digits;
  if (f.type === 'monetary') d.currency_field = f.currencyField ?? 'currency_id';
  if ((f.type === 'integer' || f.type === 'float' || f.type === 'monetary') && fname !== 'id') d.group_operator = f.groupOperator ?? 'sum';
  void env;
  return d;
}
