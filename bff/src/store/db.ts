import type { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import { Pool, types as pgTypes, type CustomTypesConfig, type PoolClient } from 'pg';

/**
 * The one database handle the BFF uses, on PostgreSQL (`pg`) or PGlite. This file is the only one that
 * imports either driver: callers see plain rows, the same type parsing and the same error helpers.
 */
export interface Db {
  readonly kind: 'pg' | 'pglite';
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<{ rows: R[]; rowCount: number }>;
  /** A multi-statement script, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in a transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws.
   * On a transaction handle it opens a SAVEPOINT instead. Use only the `tx` handle inside `fn`: on PGlite the
   * root handle waits for the transaction to end, so awaiting it inside `fn` never resolves.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface QueryOptions {
  /**
   * A prepared-statement name, unique per SQL text: PostgreSQL then parses and plans the statement once per connection
   * instead of on every call (for hot paths; ~0.1 ms a call here). PGlite ignores it.
   */
  prepare?: string;
}

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  isolation?: IsolationLevel;
}

export interface CreateDbOptions {
  /** PostgreSQL when set; PGlite otherwise. */
  databaseUrl?: string;
  /** PGlite data directory; undefined or 'memory://' keeps the database in memory. */
  pgliteDir?: string;
  /** Sets `search_path` to this schema only (tests use one schema per file). */
  schema?: string;
  /** With `schema`: create it when missing (needs CREATE on the database, so tests only). */
  createSchema?: boolean;
  poolMax?: number;
  /** PostgreSQL only (default 30 s); PGlite runs in-process and has no timer to cancel with. */
  statementTimeoutMs?: number;
  /** Errors of idle pooled connections, which would otherwise crash the process. */
  onPoolError?: (err: Error) => void;
}

export const APPLICATION_NAME = 'drmoto-bff';
const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
// A transaction left open by a stuck request would hold row locks (and the ledger chain head) forever.
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

const OID_BYTEA = 17;
const OID_INT8 = 20;
const OID_JSON = 114;
const OID_DATE = 1082;
const OID_TIMESTAMP = 1114;
const OID_TIMESTAMPTZ = 1184;
const OID_JSONB = 3802;

/** int8 (bigserial ids, count(*)) as a JS number; refusing, rather than rounding, what a double can't hold. */
export function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`int8 value ${value} is outside the safe integer range of a JS number`);
  }
  return n;
}

// A calendar date stays 'YYYY-MM-DD': pg would otherwise build a Date at local midnight, PGlite at UTC midnight.
const parseDate = (value: string): string => value;

// numeric stays a string on both drivers (their default), json/jsonb parsed, timestamptz a Date — with milliseconds
// only: whatever must be exact to the microsecond (the ledger hash) selects the text form in SQL, never a Date.
const pgTypeParsers: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === OID_INT8) {
      return parseInt8;
    }
    if (oid === OID_DATE) {
      return parseDate;
    }
    return pgTypes.getTypeParser(oid, format);
  }) as CustomTypesConfig['getTypeParser'],
};

// pg's own parsers for timestamps and JSON, so both drivers build the same values (and in this module's realm).
const pgliteParsers = {
  [OID_INT8]: parseInt8,
  [OID_DATE]: parseDate,
  [OID_TIMESTAMP]: pgTypes.getTypeParser(OID_TIMESTAMP, 'text') as (value: string) => unknown,
  [OID_TIMESTAMPTZ]: pgTypes.getTypeParser(OID_TIMESTAMPTZ, 'text') as (value: string) => unknown,
  [OID_JSON]: (value: string): unknown => JSON.parse(value),
  [OID_JSONB]: (value: string): unknown => JSON.parse(value),
  // A Buffer, as pg returns ('\\x' hex is the server's default bytea_output).
  [OID_BYTEA]: (value: string): Buffer => Buffer.from(value.slice(2), 'hex'),
};

const pgliteSerializers = {
  [OID_BYTEA]: (value: unknown): string =>
    typeof value === 'string' ? value : `\\x${Buffer.from(value as Uint8Array).toString('hex')}`,
};

type PgliteModule = typeof import('@electric-sql/pglite');

/**
 * PGlite loads its WASM with dynamic import(), which Jest's module sandbox refuses without
 * --experimental-vm-modules (electric-sql/pglite#224). Under Jest it is therefore loaded by Node's own loader, outside
 * the sandbox; values it builds itself then come from another realm, hence the parsers above and `toDbError` below.
 */
function loadPglite(): PgliteModule {
  if (process.env.JEST_WORKER_ID === undefined) {
    return require('@electric-sql/pglite') as PgliteModule;
  }
  const nodeModule = require('node:module') as { _load?: (request: string, parent: unknown, isMain: boolean) => unknown };
  if (typeof nodeModule._load !== 'function') {
    throw new Error('PGlite under Jest needs Module._load (or run Jest with --experimental-vm-modules)');
  }
  return nodeModule._load(require.resolve('@electric-sql/pglite'), null, false) as PgliteModule;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid schema name ${JSON.stringify(schema)}: expected ${SCHEMA_NAME}`);
  }
}

export async function createDb(opts: CreateDbOptions = {}): Promise<Db> {
  if (opts.schema !== undefined) {
    assertSchemaName(opts.schema);
  }
  const db = opts.databaseUrl ? createPgDb(opts.databaseUrl, opts) : await createPgliteDb(opts);
  try {
    if (opts.schema !== undefined && opts.createSchema) {
      await db.query(`CREATE SCHEMA IF NOT EXISTS "${opts.schema}"`);
    }
    await db.ping();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}

/** SQLSTATE codes the BFF branches on. */
export const SqlState = {
  UniqueViolation: '23505',
  ForeignKeyViolation: '23503',
  CheckViolation: '23514',
  SerializationFailure: '40001',
  DeadlockDetected: '40P01',
  LockNotAvailable: '55P03',
  QueryCanceled: '57014',
  InFailedTransaction: '25P02',
} as const;

interface DbErrorFields {
  code: string;
  constraint?: string;
}

/** A database error from either driver, in one shape. */
export class DbError extends Error {
  /** SQLSTATE, e.g. '23505'. */
  readonly code: string;
  readonly constraint?: string;
  readonly table?: string;
  readonly column?: string;
  readonly detail?: string;

  constructor(source: { message: string; code: string; constraint?: string; table?: string; column?: string; detail?: string }, options?: ErrorOptions) {
    super(source.message, options);
    this.name = 'DbError';
    this.code = source.code;
    this.constraint = source.constraint;
    this.table = source.table;
    this.column = source.column;
    this.detail = source.detail;
  }
}

const stringField = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Driver errors with a SQLSTATE become a DbError; anything else keeps its identity (as an Error of this realm). */
export function toDbError(err: unknown): unknown {
  if (err instanceof DbError || err === null || typeof err !== 'object') {
    return err;
  }
  const source = err as { message?: unknown; code?: unknown; constraint?: unknown; table?: unknown; column?: unknown; detail?: unknown };
  const message = typeof source.message === 'string' ? source.message : String(err);
  if (typeof source.code === 'string' && /^[0-9A-Z]{5}$/.test(source.code)) {
    return new DbError(
      {
        message,
        code: source.code,
        constraint: stringField(source.constraint),
        table: stringField(source.table),
        column: stringField(source.column),
        detail: stringField(source.detail),
      },
      { cause: err },
    );
  }
  return err instanceof Error ? err : new Error(message, { cause: err });
}

async function mapErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw toDbError(err);
  }
}

// Both drivers put the SQLSTATE in `code` and the constraint name in `constraint`; a wrapper may hide them in `cause`.
function findDbError(err: unknown): DbErrorFields | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const candidate = current as { code?: unknown; constraint?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return {
        code: candidate.code,
        constraint: typeof candidate.constraint === 'string' ? candidate.constraint : undefined,
      };
    }
    current = candidate.cause;
  }
  return undefined;
}

/** The SQLSTATE of a database error from either driver, or undefined for anything else. */
export function sqlState(err: unknown): string | undefined {
  return findDbError(err)?.code;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const found = findDbError(err);
  return found?.code === SqlState.UniqueViolation && (constraint === undefined || found.constraint === constraint);
}

export function isSerializationFailure(err: unknown): boolean {
  return sqlState(err) === SqlState.SerializationFailure;
}

/** A transaction that failed this way may simply be run again. */
export function isRetryableTransactionError(err: unknown): boolean {
  const code = sqlState(err);
  return code === SqlState.SerializationFailure || code === SqlState.DeadlockDetected;
}

export class TransactionFinishedError extends Error {
  constructor() {
    super('transaction handle used after its transaction ended');
    this.name = 'TransactionFinishedError';
  }
}

export class TransactionRolledBackError extends Error {
  constructor() {
    super('COMMIT rolled back: a statement in the transaction failed and its error was swallowed');
    this.name = 'TransactionRolledBackError';
  }
}

type QueryResult<R> = { rows: R[]; rowCount: number };

/** How a transaction talks to its one connection. */
interface Connection {
  query<R>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<R> & { command?: string }>;
  exec(sql: string): Promise<void>;
}

function beginStatement(isolation: IsolationLevel | undefined): string {
  switch (isolation) {
    case undefined:
      return 'BEGIN';
    case 'read committed':
      return 'BEGIN ISOLATION LEVEL READ COMMITTED';
    case 'repeatable read':
      return 'BEGIN ISOLATION LEVEL REPEATABLE READ';
    case 'serializable':
      return 'BEGIN ISOLATION LEVEL SERIALIZABLE';
    default:
      throw new Error(`unknown isolation level ${JSON.stringify(isolation)}`);
  }
}

class TxDb implements Db {
  private finished = false;
  private savepoints = 0;

  constructor(
    readonly kind: Db['kind'],
    private readonly connection: Connection,
  ) {}

  finish(): void {
    this.finished = true;
  }

  private assertOpen(): void {
    if (this.finished) {
      throw new TransactionFinishedError();
    }
  }

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<R>> {
    this.assertOpen();
    const { rows, rowCount } = await this.connection.query<R>(sql, params, opts);
    return { rows, rowCount };
  }

  async exec(sql: string): Promise<void> {
    this.assertOpen();
    await this.connection.exec(sql);
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    this.assertOpen();
    if (opts?.isolation !== undefined) {
      throw new Error('a nested transaction is a SAVEPOINT and cannot set its own isolation level');
    }
    const name = `sp_${++this.savepoints}`;
    await this.connection.query(`SAVEPOINT ${name}`);
    let result: T;
    try {
      result = await fn(this);
    } catch (err) {
      try {
        await this.connection.query(`ROLLBACK TO SAVEPOINT ${name}`);
        await this.connection.query(`RELEASE SAVEPOINT ${name}`);
      } catch {
        // The outer transaction is broken too; its own ROLLBACK reports that. Keep the original error.
      }
      throw err;
    }
    await this.connection.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  close(): Promise<void> {
    return Promise.reject(new Error('close() called on a transaction handle'));
  }
}

/** Returns the result, or throws the error of `fn`; reports a connection left in an unknown state. */
async function runTransaction<T>(
  kind: Db['kind'],
  connection: Connection,
  fn: (tx: Db) => Promise<T>,
  opts: TransactionOptions | undefined,
  onBroken: (err: unknown) => void,
): Promise<T> {
  try {
    await connection.query(beginStatement(opts?.isolation));
  } catch (err) {
    // Nothing ran yet; a connection that can't even BEGIN is not worth keeping.
    onBroken(err);
    throw err;
  }
  const tx = new TxDb(kind, connection);
  try {
    const result = await fn(tx);
    tx.finish();
    const commit = await connection.query('COMMIT');
    // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK and no error.
    if (commit.command === 'ROLLBACK') {
      throw new TransactionRolledBackError();
    }
    return result;
  } catch (err) {
    tx.finish();
    try {
      await connection.query('ROLLBACK');
    } catch (rollbackErr) {
      onBroken(rollbackErr);
    }
    throw err;
  }
}

class PgDb implements Db {
  readonly kind = 'pg' as const;
  private closing?: Promise<void>;

  constructor(private readonly pool: Pool) {}

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<R>> {
    const result = await mapErrors(opts?.prepare ? this.pool.query({ name: opts.prepare, text: sql, values: params }) : this.pool.query(sql, params));
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    // Without parameters pg uses the simple protocol, which accepts several statements.
    await mapErrors(this.pool.query(sql));
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await runTransaction('pg', clientConnection(client), fn, opts, (err) => {
        broken = err instanceof Error ? err : new Error(String(err));
      });
    } finally {
      // A client whose ROLLBACK failed may still be inside a transaction: destroy it rather than pool it.
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}

function clientConnection(client: PoolClient): Connection {
  return {
    async query<R>(sql: string, params?: unknown[], opts?: QueryOptions) {
      const result = await mapErrors(opts?.prepare ? client.query({ name: opts.prepare, text: sql, values: params }) : client.query(sql, params));
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0, command: result.command };
    },
    async exec(sql: string) {
      await mapErrors(client.query(sql));
    },
  };
}

function createPgDb(databaseUrl: string, opts: CreateDbOptions): Db {
  const pool = new Pool({
    connectionString: databaseUrl,
    max: opts.poolMax ?? 10,
    keepAlive: true,
    application_name: APPLICATION_NAME,
    statement_timeout: opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    options: opts.schema === undefined ? undefined : `-c search_path=${opts.schema}`,
    types: pgTypeParsers,
  });
  pool.on('error', opts.onPoolError ?? (() => undefined));
  return new PgDb(pool);
}

/** FIFO lock: PGlite has one connection, so a transaction must own it until COMMIT. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/**
 * Dates in Postgres text form: PGlite tests them with instanceof, which fails across realms (Jest), and text is what
 * the server parses anyway. Bytes go through the bytea serializer below for the same reason.
 */
function toPgliteParam(value: unknown): unknown {
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (Array.isArray(value)) {
    return value.map(toPgliteParam);
  }
  return value;
}

class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  private readonly mutex = new Mutex();
  private readonly connection: Connection;
  private closing?: Promise<void>;

  constructor(private readonly pglite: PGlite) {
    this.connection = {
      async query<R>(sql: string, params?: unknown[]) {
        const result = await mapErrors(pglite.query<R>(sql, params?.map(toPgliteParam)));
        // affectedRows is 0 for SELECT; pg's rowCount counts the rows returned.
        return {
          rows: result.rows,
          rowCount: Math.max(result.affectedRows ?? 0, result.rows.length),
          command: (result as { command?: string }).command,
        };
      },
      async exec(sql: string) {
        await mapErrors(pglite.exec(sql));
      },
    };
  }

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    const { rows, rowCount } = await this.mutex.run(() => this.connection.query<R>(sql, params));
    return { rows, rowCount };
  }

  exec(sql: string): Promise<void> {
    return this.mutex.run(() => this.connection.exec(sql));
  }

  transaction<T>(fn: (tx: Db) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    return this.mutex.run(() =>
      runTransaction('pglite', this.connection, fn, opts, () => {
        // Nothing to discard: the next BEGIN on the single connection will report a real problem.
      }),
    );
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  close(): Promise<void> {
    // Behind the mutex, so a running transaction finishes first.
    this.closing ??= this.mutex.run(() => mapErrors(this.pglite.close()));
    return this.closing;
  }
}

async function createPgliteDb(opts: CreateDbOptions): Promise<Db> {
  const dir = opts.pgliteDir === undefined || opts.pgliteDir === 'memory://' ? undefined : opts.pgliteDir;
  if (dir !== undefined) {
    mkdirSync(dir, { recursive: true });
  }
  const { PGlite: PGliteClass } = loadPglite();
  const pglite = await mapErrors(PGliteClass.create(dir, { parsers: pgliteParsers, serializers: pgliteSerializers }));
  const db = new PgliteDb(pglite);
  if (opts.schema !== undefined) {
    // One connection, so a session setting holds for every later statement.
    await db.exec(`CREATE SCHEMA IF NOT EXISTS "${opts.schema}"; SET search_path TO "${opts.schema}"`);
  }
  return db;
}
