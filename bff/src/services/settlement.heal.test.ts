import { createLogger } from '../logger';
import type { OdooClient } from '../integrations/odoo/client';
import { OdooUnavailableError } from '../integrations/odoo/errors';
import { PaymentsGateway } from '../integrations/odoo/payments';
import type { ShopGateway } from '../integrations/odoo/shops';
import type { JobQueue } from '../jobs/queue';
import type { LedgerRepository } from '../store/ledger';
import type { OutboxEntry, SettlementOutboxRepository } from '../store/outbox';
import { SettlementService } from './settlement.service';

/**
 * Issue 15.1 without servers: a settlement that finds Odoo unreachable starts the probe; its first answer makes every
 * pending row due and hands it over with runNow (the job's run count kept); the gate caps settlements in flight.
 * (bff/test/odoo-outage.test.ts runs the same through real processes.)
 */
function fixture(opts: { concurrency?: number } = {}) {
  const odooState = { down: true, inFlight: 0, maxInFlight: 0, release: undefined as Promise<void> | undefined };
  const rows = new Map<number, OutboxEntry>();
  const row = (id: number): OutboxEntry => ({ id, ledgerSeq: id, workOrderId: 100 + id, kind: 'charge', state: 'pending', attempts: 0, lastError: null, nextAttemptAt: new Date(Date.now() + 3600_000), createdAt: new Date(), updatedAt: new Date(), settledAt: null });
  const calls = { dueNow: 0, runNow: [] as string[], add: [] as string[], attempts: [] as number[] };
  const odoo = {
    version: async () => {
      if (odooState.down) throw new OdooUnavailableError('connection', 'Odoo is unreachable.');
      return { server_version: '17.0', protocol_version: 1 };
    },
    execute: async () => {
      odooState.inFlight++;
      odooState.maxInFlight = Math.max(odooState.maxInFlight, odooState.inFlight);
      try {
        await odooState.release;
        if (odooState.down) throw new OdooUnavailableError('connection', 'Odoo is unreachable.');
        return { closed: true };
      } finally {
        odooState.inFlight--;
      }
    },
  } as unknown as OdooClient;
  const ledger = {
    get: async (seq: number) => ({ seq, workOrderId: 100 + seq, kind: 'charge', amount: 15000, channel: 'wechat', shopId: 1 }),
    installationId: async () => 'inst',
  } as unknown as LedgerRepository;
  const outbox = {
    get: async (id: number) => rows.get(id),
    recordAttempt: async (id: number) => {
      calls.attempts.push(id);
      return rows.get(id);
    },
    markSettled: async (id: number) => {
      rows.get(id)!.state = 'settled';
      return true;
    },
    dueNow: async () => {
      calls.dueNow++;
      return rows.size;
    },
    pending: async (o: { afterId?: number }) => [...rows.values()].filter((r) => r.state === 'pending' && r.id > (o.afterId ?? 0)),
  } as unknown as SettlementOutboxRepository;
  const shops = { get: async () => ({ currency: { decimals: 2 } }) } as unknown as ShopGateway;
  const queue = {
    add: async (_name: string, _data: unknown, o: { jobId: string }) => {
      calls.add.push(o.jobId);
      return { id: o.jobId, added: false };
    },
    runNow: async (id: string) => {
      calls.runNow.push(id);
      return true;
    },
  } as unknown as JobQueue;
  const settlement = new SettlementService(new PaymentsGateway(odoo), ledger, outbox, shops, queue, createLogger({ silent: true }), undefined, { probeIntervalMs: 20, concurrency: opts.concurrency ?? 4 });
  return { settlement, odooState, rows, row, calls };
}

const until = async (cond: () => boolean): Promise<void> => {
  const deadline = Date.now() + 5_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('SettlementService: healing after Odoo comes back', () => {
  it('probes while Odoo is unreachable and, on its first answer, re-queues every waiting row without resetting its job', async () => {
    const { settlement, odooState, rows, row, calls } = fixture();
    for (const id of [1, 2, 3]) rows.set(id, row(id));
    await expect(settlement.settle(1)).rejects.toBeInstanceOf(OdooUnavailableError);
    expect(calls.attempts).toEqual([1]);
    expect(settlement.odooConsideredDown).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(calls.runNow).toEqual([]); // still down: nothing re-queued
    odooState.down = false;
    await until(() => calls.runNow.length === 3);
    expect(calls.dueNow).toBe(1);
    expect(calls.add).toEqual(['settle-1', 'settle-2', 'settle-3']);
    expect(calls.runNow).toEqual(['settle-1', 'settle-2', 'settle-3']);
    expect(settlement.odooConsideredDown).toBe(false);
    settlement.close();
  });

  it('never runs more settlements against Odoo at once than its concurrency', async () => {
    const { settlement, odooState, rows, row } = fixture({ concurrency: 2 });
    odooState.down = false;
    let open!: () => void;
    odooState.release = new Promise<void>((r) => (open = r));
    for (let id = 1; id <= 6; id++) rows.set(id, row(id));
    const runs = [1, 2, 3, 4, 5, 6].map((id) => settlement.settle(id));
    await new Promise((r) => setTimeout(r, 50));
    expect(odooState.inFlight).toBe(2);
    open();
    await expect(Promise.all(runs)).resolves.toEqual(Array(6).fill('settled'));
    expect(odooState.maxInFlight).toBe(2);
    settlement.close();
  });
});
