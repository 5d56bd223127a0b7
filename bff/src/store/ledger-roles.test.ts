import { randomBytes } from 'node:crypto';
import { payloadHash } from '../domain/ledger-hash';
import { AuditRepository } from './audit';
import { createDb, type Db } from './db';
import { IdempotencyStore } from './idempotency';
import { LedgerRepository } from './ledger';
import { randomTxnId, sampleCharge } from '../../test/support/ledger';
import { migrate } from './migrate';
import { SettlementOutboxRepository } from './outbox';
import { PaymentOrderRepository } from './payment-orders';
import { createTestDb, warnSkippedOnce, type TestDb } from '../../test/support/test-db';

/**
 * The deployment model of DESIGN.md §8 on a real PostgreSQL: migrations as a schema owner, the BFF as a login role
 * that is only a member of drmoto_app. Roles are cluster-wide, so names carry a random suffix and are dropped after;
 * drmoto_app itself is created when missing and never dropped (other databases and runs share it).
 */

const databaseUrl = process.env.DATABASE_URL;

function urlAs(user: string): string {
  const url = new URL(databaseUrl ?? '');
  url.username = user;
  url.password = '';
  return url.toString();
}

const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] as const;

describe('migration 0006 app role (pglite)', () => {
  let t: TestDb;

  beforeAll(async () => {
    t = await createTestDb();
    await migrate(t.db);
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  it('grants drmoto_app SELECT and INSERT on the ledger, and only those', async () => {
    const { rows } = await t.db.query<{ privilege: string; granted: boolean }>(
      `SELECT p AS privilege, has_table_privilege('drmoto_app', 'ledger_entries', p) AS granted FROM unnest($1::text[]) p`,
      [TABLE_PRIVILEGES],
    );
    expect(rows.filter((r) => r.granted).map((r) => r.privilege)).toEqual(['SELECT', 'INSERT']);
  });
});

const skip = !databaseUrl;
if (skip) {
  warnSkippedOnce('PostgreSQL store tests: DATABASE_URL not set');
}

(skip ? describe.skip : describe)(
  skip ? 'ledger roles and grants (pg) — skipped: DATABASE_URL not set' : 'ledger roles and grants (pg)',
  () => {
    const suffix = randomBytes(5).toString('hex');
    const schema = `t_roles_${suffix}`;
    const ownerRole = `drmoto_t_${suffix}_owner`;
    const appRole = `drmoto_t_${suffix}_app`;
    let admin: TestDb;
    let owner: Db;
    let app: Db;

    beforeAll(async () => {
      admin = await createTestDb({ databaseUrl });
      // Like a DBA would: the group role (if no earlier run made it), an owner that migrates, an app login role.
      await admin.db.exec(`
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drmoto_app') THEN
            CREATE ROLE drmoto_app NOLOGIN;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
        CREATE ROLE "${ownerRole}" LOGIN;
        CREATE ROLE "${appRole}" LOGIN IN ROLE drmoto_app;
        CREATE SCHEMA "${schema}" AUTHORIZATION "${ownerRole}";
      `);
      owner = await createDb({ databaseUrl: urlAs(ownerRole), schema, poolMax: 2 });
      await migrate(owner);
      app = await createDb({ databaseUrl: urlAs(appRole), schema, poolMax: 2 });
    });

    afterAll(async () => {
      await app?.close();
      await owner?.close();
      if (admin) {
        try {
          await admin.db.exec(`
            DROP SCHEMA IF EXISTS "${schema}" CASCADE;
            DROP OWNED BY "${ownerRole}", "${appRole}";
            DROP ROLE IF EXISTS "${appRole}";
            DROP ROLE IF EXISTS "${ownerRole}";
          `);
        } finally {
          await admin.cleanup();
        }
      }
    });

    it('runs the app as a role that owns nothing in the schema', async () => {
      const { rows } = await app.query<{ owned: number; can_create: boolean }>(
        `SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = current_schema() AND pg_get_userbyid(c.relowner) = current_user) AS owned,
                has_schema_privilege(current_schema(), 'CREATE') AS can_create`,
      );
      expect(rows[0]).toEqual({ owned: 0, can_create: false });
    });

    it('appends through the repository as the app role, with its outbox row in the same transaction', async () => {
      const ledger = new LedgerRepository(app);
      const outbox = new SettlementOutboxRepository(app);
      const { appended, queued } = await app.transaction(async (tx) => {
        const appended = await ledger.append(tx, sampleCharge({ workOrderId: 42 }));
        const queued = await outbox.enqueue(tx, appended.seq, 42, 'charge');
        return { appended, queued };
      });
      expect(appended.inserted).toBe(true);
      expect(queued.entry).toMatchObject({ ledgerSeq: appended.seq, state: 'pending' });
      expect(await outbox.markSettled(queued.entry.id)).toBe(true);
      expect((await ledger.appendOne(sampleCharge({ providerTxnId: appended.entry.providerTxnId }))).inserted).toBe(false);
    });

    it('records a provider receipt in one statement as the app role: charge, order paid, outbox row', async () => {
      const orders = new PaymentOrderRepository(app);
      const { order } = await app.transaction((tx) =>
        orders.createOpen(tx, { workOrderId: 77, shopId: 1, warehouseId: 1, merchantAccount: '1900000109', channel: 'wechat', amount: 1_200, currency: 'CNY', timeExpire: new Date(Date.now() + 3_600_000) }),
      );
      const receipt = { channel: 'wechat' as const, outTradeNo: order.outTradeNo, txnId: randomTxnId(), amount: 1_200, currency: 'CNY', merchantAccount: '1900000109', actor: 'system:wechatpay-notify', payloadHash: 'a'.repeat(64) };
      const r = await new LedgerRepository(app).recordReceipt(receipt);
      expect(r).toMatchObject({ outcome: 'charged', outboxId: expect.any(Number) });
      expect((await orders.get(order.outTradeNo))?.state).toBe('paid');
      expect(await new LedgerRepository(app).recordReceipt(receipt)).toMatchObject({ outcome: 'duplicate' });
    });

    it('denies the app role replacing the functions that compute the ledger hash', async () => {
      await expect(
        app.query(`CREATE OR REPLACE FUNCTION ledger_canonical(bigint, text, text, bigint, text, int, int, text, text, text, text, text, text, bigint, int, bigint, text, text, text, text)
                   RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'forged' $$`),
      ).rejects.toThrow(/must be owner|permission denied/);
      await expect(app.query('ALTER FUNCTION ledger_append RENAME TO ledger_append_old')).rejects.toThrow(/must be owner|permission denied/);
    });

    it('denies the app role UPDATE, DELETE and TRUNCATE on the ledger: permission denied', async () => {
      await new LedgerRepository(app).appendOne(sampleCharge());
      await expect(app.query('UPDATE ledger_entries SET amount = amount + 1')).rejects.toThrow(/permission denied/);
      await expect(app.query('DELETE FROM ledger_entries')).rejects.toThrow(/permission denied/);
      await expect(app.query('TRUNCATE ledger_entries CASCADE')).rejects.toThrow(/permission denied/);
      await expect(app.query('ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_no_update_delete')).rejects.toThrow(
        /must be owner/,
      );
    });

    it('stops the owner, who holds every privilege, with the append-only trigger', async () => {
      await new LedgerRepository(app).appendOne(sampleCharge());
      await expect(owner.query('UPDATE ledger_entries SET amount = amount + 1')).rejects.toThrow(
        'ledger_entries is append-only: UPDATE is not allowed',
      );
      await expect(owner.query('DELETE FROM ledger_entries')).rejects.toThrow('ledger_entries is append-only: DELETE is not allowed');
      await expect(owner.query('TRUNCATE ledger_entries CASCADE')).rejects.toThrow('ledger_entries is append-only: TRUNCATE is not allowed');
    });

    it('keeps the audit log append-only for the app role too', async () => {
      const audit = new AuditRepository(app);
      await audit.record({ action: 'test.roles', actorKind: 'system', actorId: 'jest' });
      await expect(app.query(`UPDATE bff_audit_log SET action = 'x'`)).rejects.toThrow(/permission denied/);
      await expect(app.query('DELETE FROM bff_audit_log')).rejects.toThrow(/permission denied/);
    });

    it('lets the app role run the mutable stores: payment orders, idempotency keys', async () => {
      const orders = new PaymentOrderRepository(app);
      const { order, created } = await app.transaction((tx) =>
        orders.createOpen(tx, {
          workOrderId: 42,
          shopId: 1,
          warehouseId: 1,
          merchantAccount: '1900000109',
          channel: 'wechat',
          amount: 10_000,
          currency: 'CNY',
          timeExpire: new Date(Date.now() + 15 * 60_000),
        }),
      );
      expect(created).toBe(true);
      expect(await orders.close(order.outTradeNo, 'test')).toBe(true);
      const keys = new IdempotencyStore(app);
      const begun = await keys.begin({ principal: 'staff:1', method: 'POST', path: '/x', key: `k-${suffix}` }, payloadHash('body'));
      expect(begun.kind).toBe('claimed');
      if (begun.kind === 'claimed') expect(await keys.release(begun.claim)).toBe(true);
    });

    it('reports the privileges a BFF connection should not have: none for the app role, all for the owner', async () => {
      expect(await new LedgerRepository(app).excessPrivileges()).toEqual([]);
      expect(await new LedgerRepository(owner).excessPrivileges()).toEqual(['UPDATE', 'DELETE', 'TRUNCATE']);
    });

    it('grants drmoto_app exactly SELECT and INSERT on ledger_entries', async () => {
      const { rows } = await owner.query<{ privilege: string; granted: boolean }>(
        `SELECT p AS privilege, has_table_privilege('drmoto_app', 'ledger_entries', p) AS granted FROM unnest($1::text[]) p`,
        [TABLE_PRIVILEGES],
      );
      expect(rows.filter((r) => r.granted).map((r) => r.privilege)).toEqual(['SELECT', 'INSERT']);
    });
  },
);
