import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { payloadHash } from '../../bff/src/domain/ledger-hash';
import { AuditRepository } from '../../bff/src/store/audit';
import { createDb, type Db } from '../../bff/src/store/db';
import { LedgerRepository } from '../../bff/src/store/ledger';
import { migrate } from '../../bff/src/store/migrate';

/**
 * The compose deployment's database roles on a real PostgreSQL (issue 24): the init scripts of docker/postgres-init and
 * docker/odoo-db-init run for real (bash + psql, with secrets files like compose mounts) against the server of
 * DATABASE_URL, with unique role and database names; then the real migrations as the owner, then the BFF's app role.
 * And the upgrade script for an old volume, checked against what a new volume gets. Everything made is dropped after
 * (drmoto_app is cluster-wide and shared: made when missing, never dropped).
 */

const databaseUrl = process.env.DATABASE_URL;
const root = path.join(__dirname, '..', '..');
const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];

function urlFor(user: string, database: string, password = 'x'): string {
  const u = new URL(databaseUrl ?? '');
  u.username = user;
  u.password = password;
  u.pathname = `/${database}`;
  return u.toString();
}

function superuserUrl(database: string): string {
  const u = new URL(databaseUrl ?? '');
  u.pathname = `/${database}`;
  return u.toString();
}

/** The psql connection of DATABASE_URL (a superuser: it makes roles and databases, as the image's init does). */
function psqlEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const u = new URL(databaseUrl ?? '');
  return {
    ...process.env,
    PGHOST: u.hostname,
    PGPORT: u.port || '5432',
    PGPASSWORD: decodeURIComponent(u.password),
    POSTGRES_USER: decodeURIComponent(u.username),
    ...extra,
  };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): string {
  const r = spawnSync(cmd, args, { env, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}

const ledgerCharge = () => ({
  kind: 'charge' as const,
  amount: 10_000,
  currency: 'CNY',
  shopId: 1,
  warehouseId: 1,
  merchantAccount: '1900000109',
  channel: 'wechat' as const,
  providerTxnId: `4200${randomBytes(10).toString('hex')}`,
  workOrderId: 42,
  actor: 'system:wechatpay-notify',
  payloadHash: payloadHash(randomBytes(16)),
});

/** Every privilege `role` holds on the tables, sequences, schema and database it connects to, as sorted lines. */
async function privilegesOf(db: Db | Client, role: string): Promise<string[]> {
  const { rows } = await (db as Client).query<{ line: string }>(
    `SELECT c.relname || ' ' || p AS line FROM pg_class c, unnest($2::text[]) p
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND has_table_privilege($1, c.oid, p)
     UNION ALL
     SELECT c.relname || ' ' || p FROM pg_class c, unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) p
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S' AND has_sequence_privilege($1, c.oid, p)
     UNION ALL
     SELECT 'schema public ' || p FROM unnest(ARRAY['USAGE', 'CREATE']) p WHERE has_schema_privilege($1, 'public', p)
     UNION ALL
     SELECT 'database ' || p FROM unnest(ARRAY['CONNECT', 'CREATE', 'TEMPORARY']) p
      WHERE has_database_privilege($1, current_database(), p)
     ORDER BY 1`,
    [role, TABLE_PRIVILEGES],
  );
  return rows.map((r) => r.line);
}

const skip = !databaseUrl;
if (skip) console.warn('[skipped] compose database roles: DATABASE_URL not set');

(skip ? describe.skip : describe)(skip ? 'compose database roles (pg) — skipped: DATABASE_URL not set' : 'compose database roles (pg)', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `t_own_${suffix}`;
  const app = `t_app_${suffix}`;
  const dbName = `t_bff_${suffix}`;
  const odooRole = `t_odoo_${suffix}`;
  const legacy = { owner: `t_lown_${suffix}`, app: `t_lapp_${suffix}`, db: `t_lbff_${suffix}` };
  let secrets: string;
  let admin: Client;
  let ownerDb: Db;
  let appDb: Db;

  beforeAll(async () => {
    admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    const { rows } = await admin.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    if (!rows[0]?.rolsuper) throw new Error('DATABASE_URL must name a superuser for this test (it creates roles and databases, as the image does)');
    secrets = mkdtempSync(path.join(tmpdir(), 'pg-init-'));
    // Like compose mounts them: one URL per file, with the newline `echo` leaves.
    writeFileSync(path.join(secrets, 'bff_database_migration_url'), `postgres://${owner}:ownerpw${suffix}@db:5432/${dbName}\n`);
    writeFileSync(path.join(secrets, 'bff_database_url'), `postgres://${app}:apppw${suffix}@db:5432/${dbName}\n`);
    writeFileSync(path.join(secrets, 'odoo_db_password'), `odoopw${suffix}\n`);
    run('bash', [path.join(root, 'docker/postgres-init/10-bff.sh')], psqlEnv({ SECRETS_DIR: secrets, INIT_DIR: path.join(root, 'docker/postgres-init') }));
    run('bash', [path.join(root, 'docker/odoo-db-init/10-odoo.sh')], psqlEnv({ SECRETS_DIR: secrets, INIT_DIR: path.join(root, 'docker/odoo-db-init'), ODOO_DB_USER: odooRole }));
  });

  afterAll(async () => {
    await appDb?.close();
    await ownerDb?.close();
    if (secrets) rmSync(secrets, { recursive: true, force: true });
    if (admin) {
      try {
        for (const db of [dbName, legacy.db]) await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
        for (const role of [app, owner, odooRole, legacy.app, legacy.owner]) await admin.query(`DROP ROLE IF EXISTS "${role}"`);
      } finally {
        await admin.end();
      }
    }
  });

  it('makes the owner and the app role plain logins, the app a member of the NOLOGIN group drmoto_app', async () => {
    const { rows } = await admin.query(
      `SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls,
              pg_has_role(rolname, 'drmoto_app', 'MEMBER') AS in_group
         FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`,
      [[owner, app, 'drmoto_app']],
    );
    const plain = { rolcanlogin: true, rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false };
    expect(rows).toEqual([
      { rolname: 'drmoto_app', ...plain, rolcanlogin: false, in_group: true },
      { rolname: app, ...plain, in_group: true },
      { rolname: owner, ...plain, in_group: false },
    ]);
    const db = await admin.query('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [dbName]);
    expect(db.rows).toEqual([{ owner }]);
  });

  it('grants nothing by default: no default privileges, and before the migrations the app may only connect and look up names', async () => {
    const c = new Client({ connectionString: urlFor(owner, dbName) });
    await c.connect();
    try {
      expect((await c.query('SELECT count(*)::int AS n FROM pg_default_acl')).rows).toEqual([{ n: 0 }]);
      expect(await privilegesOf(c, app)).toEqual(['database CONNECT', 'schema public USAGE']);
      // Nobody else may even connect.
      expect(await c.query(`SELECT has_database_privilege('${odooRole}', current_database(), 'CONNECT') AS ok`)).toMatchObject({ rows: [{ ok: false }] });
    } finally {
      await c.end();
    }
  });

  describe('after the real migrations, run as the owner', () => {
    beforeAll(async () => {
      ownerDb = await createDb({ databaseUrl: urlFor(owner, dbName), poolMax: 2 });
      await migrate(ownerDb);
      appDb = await createDb({ databaseUrl: urlFor(app, dbName), poolMax: 2 });
    });

    it('refuses the app role UPDATE, DELETE and TRUNCATE on the ledger, the audit log and the installation id', async () => {
      await new LedgerRepository(appDb).appendOne(ledgerCharge());
      await new AuditRepository(appDb).record({ action: 'test.roles', actorKind: 'system', actorId: 'jest' });
      for (const [table, column] of [['ledger_entries', 'amount'], ['bff_audit_log', 'action'], ['bff_installation', 'id']]) {
        await expect(appDb.query(`UPDATE ${table} SET ${column} = ${column}`)).rejects.toThrow(/permission denied/);
        await expect(appDb.query(`DELETE FROM ${table}`)).rejects.toThrow(/permission denied/);
        await expect(appDb.query(`TRUNCATE ${table}`)).rejects.toThrow(/permission denied/);
      }
      expect((await appDb.query<{ n: number }>('SELECT count(*)::int AS n FROM bff_installation')).rows).toEqual([{ n: 1 }]);
    });

    it('lets the app role INSERT and SELECT where the BFF needs to: ledger appends, audit rows, the installation id', async () => {
      const ledger = new LedgerRepository(appDb);
      const appended = await ledger.appendOne(ledgerCharge());
      expect(appended.inserted).toBe(true);
      expect(await ledger.installationId()).toMatch(/^[0-9a-f]{12}$/);
      const audit = await new AuditRepository(appDb).record({ action: 'test.roles.insert', actorKind: 'system', actorId: 'jest' });
      expect(audit.id).toEqual(expect.any(Number));
      expect(await ledger.excessPrivileges()).toEqual([]);
    });

    it('refuses the app role creating tables or schemas and replacing or altering the ledger functions', async () => {
      await expect(appDb.query('CREATE TABLE t_evil (x int)')).rejects.toThrow(/permission denied/);
      await expect(appDb.query('CREATE SCHEMA t_evil')).rejects.toThrow(/permission denied/);
      await expect(appDb.query('CREATE TEMP TABLE t_evil (x int)')).rejects.toThrow(/permission denied/);
      await expect(
        appDb.query(`CREATE OR REPLACE FUNCTION ledger_canonical(bigint, text, text, bigint, text, int, int, text, text, text, text, text, text, bigint, int, bigint, text, text, text, text)
                     RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'forged' $$`),
      ).rejects.toThrow(/must be owner|permission denied/);
      await expect(appDb.query('ALTER FUNCTION ledger_append RENAME TO ledger_append_old')).rejects.toThrow(/must be owner/);
      await expect(appDb.query('ALTER TABLE ledger_entries DISABLE TRIGGER ALL')).rejects.toThrow(/must be owner/);
    });
  });

  it("makes Odoo's role a login with CREATEDB only: no superuser, no CREATEROLE, no replication", async () => {
    const { rows } = await admin.query(
      'SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1',
      [odooRole],
    );
    expect(rows).toEqual([{ rolcanlogin: true, rolsuper: false, rolcreatedb: true, rolcreaterole: false, rolreplication: false, rolbypassrls: false }]);
  });

  it('brings an old volume (default privileges, drmoto_app grants skipped) to exactly what a new one has', async () => {
    // What docker/postgres-init/01-bff.sh made before December 2026, then the BFF migrating at boot as the owner.
    await admin.query(`CREATE ROLE "${legacy.owner}" LOGIN; CREATE ROLE "${legacy.app}" LOGIN`);
    await admin.query(`CREATE DATABASE "${legacy.db}" OWNER "${legacy.owner}"`);
    await admin.query(`REVOKE ALL ON DATABASE "${legacy.db}" FROM PUBLIC; GRANT CONNECT ON DATABASE "${legacy.db}" TO "${legacy.app}"`);
    const su = new Client({ connectionString: superuserUrl(legacy.db) });
    await su.connect();
    try {
      await su.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC;
        ALTER SCHEMA public OWNER TO "${legacy.owner}";
        GRANT USAGE ON SCHEMA public TO "${legacy.app}";
        ALTER DEFAULT PRIVILEGES FOR ROLE "${legacy.owner}" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "${legacy.app}";
        ALTER DEFAULT PRIVILEGES FOR ROLE "${legacy.owner}" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "${legacy.app}";`);
      const legacyOwner = await createDb({ databaseUrl: urlFor(legacy.owner, legacy.db), poolMax: 1 });
      try {
        await migrate(legacyOwner);
      } finally {
        await legacyOwner.close();
      }
      // drmoto_app did not exist then (the owner may not create roles), so 0006 and later skipped their grants.
      await su.query('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM drmoto_app; REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM drmoto_app');
      // The bug of issue 24, reproduced: the app role may rewrite the audit log.
      expect(await privilegesOf(su, legacy.app)).toEqual(expect.arrayContaining(['bff_audit_log UPDATE', 'bff_installation DELETE']));

      const script = readFileSync(path.join(root, 'docker/postgres-upgrade/bff-roles-2026-12.psql'), 'utf8');
      const args = ['-X', '-q', '-d', 'postgres', '-v', `owner_role=${legacy.owner}`, '-v', `app_role=${legacy.app}`, '-v', `db_name=${legacy.db}`, '-f', '-'];
      run('psql', args, psqlEnv({ PGUSER: decodeURIComponent(new URL(databaseUrl ?? '').username) }), script);
      // Idempotent: a second run changes nothing and does not fail.
      run('psql', args, psqlEnv({ PGUSER: decodeURIComponent(new URL(databaseUrl ?? '').username) }), script);

      const fresh = new Client({ connectionString: superuserUrl(dbName) });
      await fresh.connect();
      try {
        expect(await privilegesOf(su, legacy.app)).toEqual(await privilegesOf(fresh, app));
      } finally {
        await fresh.end();
      }
      expect((await su.query('SELECT count(*)::int AS n FROM pg_default_acl')).rows).toEqual([{ n: 0 }]);
      const appLegacy = await createDb({ databaseUrl: urlFor(legacy.app, legacy.db), poolMax: 1 });
      try {
        await expect(appLegacy.query(`UPDATE bff_audit_log SET action = 'x'`)).rejects.toThrow(/permission denied/);
        await expect(appLegacy.query('DELETE FROM bff_installation')).rejects.toThrow(/permission denied/);
        expect((await new LedgerRepository(appLegacy).appendOne(ledgerCharge())).inserted).toBe(true);
      } finally {
        await appLegacy.close();
      }
    } finally {
      await su.end();
    }
  });
});
