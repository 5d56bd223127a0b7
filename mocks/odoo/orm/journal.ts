/**
 * Copy-on-write transactions: the undo log of one execute_kw. Odoo runs each call in one database transaction,
 * so a call that faults changes nothing. Copying the whole database before every write call made each write cost
 * as much as the data held; instead, while a transaction is open, the ORM hands out its tables through views
 * that note what the call touches: the first change to a stored row saves a copy of it (rows are proxied, so even a
 * model that assigns `row.x = …` directly is seen), created rows and each table's next id are recorded, and so are
 * password changes. Rollback puts back exactly those; commit just drops the log.
 *
 * Rows hold only scalars and id arrays (Raw); in a table that has arrays (many2many columns) an array read through
 * a proxy counts as a change (it could be modified in place), so its row is saved first.
 */
import type { Row } from './types';

export interface Table {
  nextId: number;
  rows: Map<number, Row>;
}

/** A row's copy: arrays (and any other object) copied, so later in-place changes don't reach it. */
function copyRow(row: Row): Row {
  const out = { ...row };
  for (const [k, v] of Object.entries(out)) if (v !== null && typeof v === 'object') (out as Record<string, unknown>)[k] = structuredClone(v);
  return out;
}

/** The undo log of one transaction. */
export class Journal {
  /** first-touch copies of rows that existed before the transaction, keyed by the stored row object */
  private readonly saved = new Map<Row, { table: Table; copy: Row }>();
  /** rows created in the transaction (undo: remove them) */
  private readonly created = new Map<Table, Set<number>>();
  private readonly createdRows = new WeakSet<Row>();
  private readonly nextIds = new Map<Table, number>();
  /** password before the first change in the transaction (undefined: there was none) */
  private readonly passwords = new Map<number, string | undefined>();

  isCreated(row: Row): boolean {
    return this.createdRows.has(row);
  }

  save(table: Table, row: Row): void {
    if (!this.createdRows.has(row) && !this.saved.has(row)) this.saved.set(row, { table, copy: copyRow(row) });
  }

  inserted(table: Table, id: number, row: Row): void {
    const previous = table.rows.get(id);
    if (previous) this.save(table, previous);
    this.createdRows.add(row);
    let ids = this.created.get(table);
    if (!ids) this.created.set(table, (ids = new Set()));
    ids.add(id);
  }

  nextId(table: Table): void {
    if (!this.nextIds.has(table)) this.nextIds.set(table, table.nextId);
  }

  /** note a password's value before its first change */
  password(id: number, before: string | undefined): void {
    if (!this.passwords.has(id)) this.passwords.set(id, before);
  }

  /** Undo everything the transaction did, on the stored tables themselves. */
  rollback(passwords: Map<number, string>): void {
    for (const [table, n] of this.nextIds) table.nextId = n;
    for (const [table, ids] of this.created) for (const id of ids) table.rows.delete(id);
    const reinserted = new Set<Table>();
    for (const [row, { table, copy }] of this.saved) {
      for (const k of Object.keys(row)) if (!(k in copy)) delete (row as Record<string, unknown>)[k];
      Object.assign(row, copy);
      if (table.rows.get(row.id) !== row) {
        table.rows.set(row.id, row);
        reinserted.add(table);
      }
    }
    // rows come back in id order, as they were (a table is kept in insertion order = id order)
    for (const table of reinserted) {
      const rows = [...table.rows.values()].sort((a, b) => a.id - b.id);
      table.rows.clear();
      for (const r of rows) table.rows.set(r.id, r);
    }
    for (const [id, pw] of this.passwords) {
      if (pw === undefined) passwords.delete(id);
      else passwords.set(id, pw);
    }
  }
}

/**
 * One per ORM: the open transaction's journal and the views and row proxies that feed it. Views and proxies are
 * kept across transactions (a proxy reports to whichever journal is open), so a transaction that scans a big
 * table does not build a proxy per row each time.
 */
export class Transactions {
  private current: Journal | null = null;
  private readonly views = new WeakMap<Table, Table>();
  private readonly proxies = new WeakMap<Row, Row>();
  private readonly handlers = new WeakMap<Table, ProxyHandler<Row>>();

  get journal(): Journal | null {
    return this.current;
  }

  /** Runs `fn` in a transaction (or in the open one); rolls back on a throw. */
  run<T>(fn: () => T, passwords: Map<number, string>): T {
    if (this.current) return fn();
    const journal = new Journal();
    this.current = journal;
    try {
      return fn();
    } catch (e) {
      this.current = null;
      journal.rollback(passwords);
      throw e;
    } finally {
      this.current = null;
    }
  }

  /** The table as code inside the transaction sees it; `arrays`: its rows hold arrays (many2many columns). */
  view(table: Table, arrays: boolean): Table {
    let v = this.views.get(table);
    if (!v) {
      const tx = this;
      v = {
        get nextId() {
          return table.nextId;
        },
        set nextId(n: number) {
          tx.current?.nextId(table);
          table.nextId = n;
        },
        rows: new RowsView(this, table, arrays) as unknown as Map<number, Row>,
      };
      this.views.set(table, v);
    }
    return v;
  }

  wrap(table: Table, row: Row, arrays: boolean): Row {
    if (!this.current) return row;
    let p = this.proxies.get(row);
    if (p) return p;
    // a row created in this transaction needs no proxy: undoing its creation undoes everything done to it
    if (this.current.isCreated(row)) return row;
    p = new Proxy(row, this.handler(table, arrays));
    this.proxies.set(row, p);
    return p;
  }

  private handler(table: Table, arrays: boolean): ProxyHandler<Row> {
    let h = this.handlers.get(table);
    if (!h) {
      const tx = this;
      h = {
        set(target, key, value) {
          tx.current?.save(table, target);
          (target as Record<string | symbol, unknown>)[key] = value;
          return true;
        },
        deleteProperty(target, key) {
          tx.current?.save(table, target);
          return Reflect.deleteProperty(target, key);
        },
        defineProperty(target, key, desc) {
          tx.current?.save(table, target);
          return Reflect.defineProperty(target, key, desc);
        },
      };
      // a get trap costs on every read: only tables with arrays need one
      if (arrays) {
        h.get = (target, key) => {
          const v = (target as Record<string | symbol, unknown>)[key];
          if (v !== null && typeof v === 'object') tx.current?.save(table, target);
          return v;
        };
      }
      this.handlers.set(table, h);
    }
    return h;
  }
}

/** A table's rows inside a transaction: rows come out proxied, inserts and deletes are journaled. */
class RowsView {
  readonly [Symbol.toStringTag] = 'Map';

  constructor(
    private readonly tx: Transactions,
    private readonly table: Table,
    private readonly arrays: boolean,
  ) {}

  get size(): number {
    return this.table.rows.size;
  }
  has(id: number): boolean {
    return this.table.rows.has(id);
  }
  get(id: number): Row | undefined {
    const r = this.table.rows.get(id);
    return r && this.tx.wrap(this.table, r, this.arrays);
  }
  set(id: number, row: Row): this {
    this.tx.journal?.inserted(this.table, id, row);
    this.table.rows.set(id, row);
    return this;
  }
  delete(id: number): boolean {
    const r = this.table.rows.get(id);
    if (r) this.tx.journal?.save(this.table, r);
    return this.table.rows.delete(id);
  }
  clear(): void {
    for (const r of this.table.rows.values()) this.tx.journal?.save(this.table, r);
    this.table.rows.clear();
  }
  keys(): IterableIterator<number> {
    return this.table.rows.keys();
  }
  /** (an array's iterator: model code spreads or filters whole tables, and V8 spreads arrays fastest) */
  values(): IterableIterator<Row> {
    const out: Row[] = [];
    for (const r of this.table.rows.values()) out.push(this.tx.wrap(this.table, r, this.arrays));
    return out.values();
  }
  entries(): IterableIterator<[number, Row]> {
    const out: Array<[number, Row]> = [];
    for (const [id, r] of this.table.rows) out.push([id, this.tx.wrap(this.table, r, this.arrays)]);
    return out.values();
  }
  [Symbol.iterator](): IterableIterator<[number, Row]> {
    return this.entries();
  }
  forEach(cb: (row: Row, id: number, map: Map<number, Row>) => void, thisArg?: unknown): void {
    for (const r of this.values()) cb.call(thisArg, r, r.id, this as unknown as Map<number, Row>);
  }
}
