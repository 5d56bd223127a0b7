import { randomBytes } from 'node:crypto';
import { payloadHash } from '../../src/domain/ledger-hash';
import type { Db } from '../../src/store/db';
import type { LedgerEntryInput } from '../../src/store/ledger';

/** Test support for the ledger: sample entries and a reset that only an owner or superuser can run. */

export const randomTxnId = (): string => `4200${randomBytes(10).toString('hex')}`;

/** A WeChat charge of 100.00 CNY for work order 42, with a fresh transaction id unless given. */
export function sampleCharge(over: Partial<LedgerEntryInput> = {}): LedgerEntryInput {
  return {
    kind: 'charge',
    amount: 10_000,
    currency: 'CNY',
    shopId: 1,
    warehouseId: 1,
    merchantAccount: '1900000109',
    channel: 'wechat',
    providerTxnId: randomTxnId(),
    workOrderId: 42,
    actor: 'system:wechatpay-notify',
    payloadHash: payloadHash(randomBytes(16)),
    ...over,
  };
}

/**
 * Empties the ledger and the tables that reference it, for tests only: it has to switch the append-only trigger off,
 * which needs the owner (or a superuser), and leaves it on again.
 */
export async function resetLedgerForTests(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.exec(`
      ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_no_truncate;
      TRUNCATE ledger_entries, settlement_outbox, payment_orders, refund_requests RESTART IDENTITY;
      ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_no_truncate;
    `);
  });
}
