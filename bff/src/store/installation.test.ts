import { SettlementService } from '../services/settlement.service';
import { LedgerRepository } from './ledger';
import { migrate } from './migrate';
import { createTestDb, type TestDb } from '../../test/support/test-db';

/**
 * Settlement names its Odoo calls after ledger rows, and Odoo replays a repeated name as "already done". A ledger
 * sequence is unique only within one store, so the names carry the store's installation id (migration 0009).
 */
describe('installation id', () => {
  const stores: TestDb[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.cleanup()));
  });

  it('differs between two stores, never changes, and makes the same ledger seq two different Odoo names', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const t = await createTestDb({ databaseUrl: process.env.DATABASE_URL || undefined });
      stores.push(t);
      await migrate(t.db);
      const ledger = new LedgerRepository(t.db);
      const id = await ledger.installationId();
      expect(id).toMatch(/^[0-9a-f]{12}$/);
      await migrate(t.db); // a second run adds nothing
      expect(await new LedgerRepository(t.db).installationId()).toBe(id);
      await expect(t.db.query("INSERT INTO bff_installation (singleton, id) VALUES (true, 'bbbbbbbbbbbb')")).rejects.toThrow(); // one row only
      ids.push(id);
    }
    expect(ids[0]).not.toBe(ids[1]);
    const [a, b] = ids.map((id) => SettlementService.names(id, 1));
    expect(a!.ledgerRef).not.toBe(b!.ledgerRef);
    expect(a!.closeKey).not.toBe(b!.closeKey);
    expect(a!.syncKey).not.toBe(b!.syncKey);
    expect(a).toEqual({ ledgerRef: `ledger-${ids[0]}-1`, syncKey: `settle-${ids[0]}-1/sync`, closeKey: `settle-${ids[0]}-1/close` });
  });
});
