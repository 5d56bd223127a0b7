import type { Env } from './orm';

export type FieldType =
  | 'char'
  | 'text'
  | 'integer'
  | 'float'
  | 'monetary'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'selection'
  | 'many2one'
  | 'one2many'
  | 'many2many';

/** A stored value in the mock's tables: null is SQL NULL (read back as `false`), x2many are id lists. */
export type Raw = null | boolean | number | string | number[];
export type Row = Record<string, Raw> & { id: number };

export interface FieldDef {
  type: FieldType;
  string: string;
  help?: string;
  required?: boolean;
  readonly?: boolean;
  /** A value or a function of the environment (evaluated at create time, like Odoo's lambdas). */
  default?: Raw | ((env: Env) => Raw);
  /** comodel for many2one / one2many / many2many */
  relation?: string;
  /** one2many: the many2one on the comodel pointing back */
  inverseName?: string;
  selection?: Array<[string, string]>;
  /** many2one: what happens to this row when the target is deleted (default 'set null', 'restrict' if required) */
  ondelete?: 'set null' | 'restrict' | 'cascade';
  /** Non-stored computed value (read only). Stored computes are ModelDef.computes. */
  compute?: (env: Env, row: Row) => Raw;
  /** false for non-stored computed fields */
  store?: boolean;
  index?: boolean;
  size?: number;
  digits?: [number, number];
  currencyField?: string;
  groupOperator?: 'sum' | 'avg' | 'max' | 'min' | 'bool_and' | 'bool_or' | 'count';
  /** many2one only: the name used in `<table>_<field>_fkey` messages etc. */
  translate?: boolean;
}

export interface StoredCompute {
  /** fields written by compute */
  fields: string[];
  /** recompute when one of these is written (or on create) */
  depends: string[];
  /** returns the new values; may throw (e.g. a validation error) */
  compute: (env: Env, row: Row) => Record<string, Raw>;
}

export interface SqlConstraint {
  /** constraint name as in `_sql_constraints` (Odoo prefixes the table name in the database) */
  name: string;
  /** UNIQUE over these columns (NULLs never collide, as in PostgreSQL); empty for a CHECK constraint */
  unique: string[];
  /** CHECK (…) over `checkFields`: false fails (NULL passes, as in SQL: return true for it) */
  check?: (row: Row) => boolean;
  checkFields?: string[];
  /** partial constraint (EXCLUDE … WHERE …): rows for which this is false take no part */
  where?: (row: Row) => boolean;
  message: string;
}

export interface PythonConstraint {
  /** fields whose change triggers the check (`@api.constrains`) */
  fields: string[];
  check: (env: Env, rows: Row[]) => void;
}

export interface ParamSpec {
  name: string;
  /** present ⇒ optional */
  default?: unknown;
}

export interface MethodDef {
  /** 'model' = @api.model (no ids); 'records' = recordset method (first positional arg is the ids) */
  api: 'model' | 'records';
  params: ParamSpec[];
  fn: (env: Env, args: unknown[], ids: number[]) => unknown;
}

export type Operation = 'read' | 'write' | 'create' | 'unlink';

export interface RecordRule {
  name: string;
  /** group xml ids the rule applies to; absent = global */
  groups?: string[];
  perms: Operation[];
  domain: (env: Env) => unknown[];
}

export interface ModelHooks {
  /** called with the values of each record to create as the caller gave them (before defaults, like the code of
   * a `create()` override before `super()`), may change them */
  preCreate?: (env: Env, vals: Record<string, unknown>) => void;
  /** called with the values of each record to create (after defaults), may change them */
  beforeCreate?: (env: Env, vals: Record<string, unknown>) => void;
  afterCreate?: (env: Env, rows: Row[]) => void;
  /** code of a `write()` override before `super()`: runs before the access checks (existing rows of the ids) */
  preWrite?: (env: Env, rows: Row[], vals: Record<string, unknown>) => void;
  /** code of an `unlink()` override before `super()` (not an @api.ondelete): runs before the access checks */
  preUnlink?: (env: Env, rows: Row[]) => void;
  beforeWrite?: (env: Env, rows: Row[], vals: Record<string, unknown>) => void;
  afterWrite?: (env: Env, rows: Row[], vals: Record<string, unknown>) => void;
  beforeUnlink?: (env: Env, rows: Row[]) => void;
  /** after the rows are gone (they are passed as they were) */
  afterUnlink?: (env: Env, rows: Row[]) => void;
}

export interface ModelDef {
  name: string;
  description: string;
  /** default order, like `_order` */
  order?: string;
  /** `_rec_name` (default 'name' when there is such a field) */
  recName?: string;
  recNamesSearch?: string[];
  /** parent field for child_of (default 'parent_id') */
  parentName?: string;
  fields: Record<string, FieldDef>;
  computes?: StoredCompute[];
  sqlConstraints?: SqlConstraint[];
  constraints?: PythonConstraint[];
  displayName?: (env: Env, row: Row) => string;
  methods?: Record<string, MethodDef>;
  hooks?: ModelHooks;
  /** ir.model.access: group xml id → letters of r/w/c/u (read, write, create, unlink) */
  acl: Record<string, string>;
  rules?: RecordRule[];
}

export type Context = Record<string, unknown>;
