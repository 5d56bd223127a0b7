/**
 * Offline payments (issue 7): a cashier records money taken at the counter. Ledger charge + settlement outbox + BFF
 * audit in one transaction; Odoo registers and audits it through settlement. The amount-due check runs under the work
 * order's lock — proven concurrently on PostgreSQL (DATABASE_URL), since PGlite is one connection.
 */
import { expectProblem, payableWorkOrders, staffTokens, startHarness, waitFor, type Harness } from './harness';

const databaseUrl = process.env.DATABASE_URL || undefined;

function suite(name: string, opts: { databaseUrl?: string }) {
  describe(name, () => {
    let h: Harness;
    let advisor: string;
    let technician: string;
    let cashier: string;
    let manager: string;
    let payableWorkOrder: (unitPrice?: number) => Promise<{ id: number; token: string }>;

    beforeAll(async () => {
      h = await startHarness(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {});
      ({ advisor, technician, cashier, manager } = await staffTokens(h, ['advisor', 'technician', 'cashier', 'manager']));
      payableWorkOrder = payableWorkOrders(h, { advisor, technician }, { tag: `off-${name.length}`, phone: '1360000', plate: '粤R4' });
    });
    afterAll(async () => {
      await h.close();
    });

    const offline = (id: number, token: string, body: unknown, key = `off-${id}-${Math.random()}`) =>
      h.req('POST', `/api/v1/work-orders/${id}/payments/offline`, { token, body, headers: { 'idempotency-key': key } });
    const ledgerRows = async (wo: number) =>
      (await h.bff.container.db.query<{ seq: number; kind: string; amount: number; channel: string; actor: string; reason: string | null; provider_txn_id: string }>(
        'SELECT seq, kind, amount, channel, actor, reason, provider_txn_id FROM ledger_entries WHERE work_order_id = $1 ORDER BY seq',
        [wo],
      )).rows;

    if (!opts.databaseUrl) {
      it('records cash: one ledger charge, outbox, BFF audit; Odoo registers and audits it; a replay changes nothing', async () => {
        const { id } = await payableWorkOrder();
        const key = `cash-${id}-0001`;
        const r = await offline(id, cashier, { method: 'cash', amount: 15000, note: 'paid at pickup' }, key);
        expect(r.status).toBe(201);
        expect(r.body).toEqual(
          expect.objectContaining({ work_order_id: id, method: 'cash', reference: null, amount: 15000, currency: 'CNY', due_before: 15000, due_after: 0, overpayment: false, replayed: false }),
        );
        expect(r.body.ledger).toEqual(expect.objectContaining({ kind: 'charge', channel: 'offline', amount: 15000, work_order_id: id }));
        const rows = await ledgerRows(id);
        expect(rows).toHaveLength(1);
        expect(rows[0]).toEqual(expect.objectContaining({ channel: 'offline', actor: expect.stringMatching(/^staff:\d+$/), reason: 'cash · paid at pickup', provider_txn_id: expect.stringMatching(/^off_[0-9a-f]{40}$/) }));
        const outbox = await h.bff.container.db.query('SELECT kind FROM settlement_outbox WHERE ledger_seq = $1', [rows[0]!.seq]);
        expect(outbox.rows).toEqual([{ kind: 'charge' }]);
        const audit = await h.bff.container.db.query<{ action: string; actor_kind: string; detail: Record<string, unknown> }>("SELECT action, actor_kind, detail FROM bff_audit_log WHERE target = $1", [`work_order:${id}`]);
        expect(audit.rows).toEqual([expect.objectContaining({ action: 'payment.offline', actor_kind: 'staff', detail: expect.objectContaining({ ledger_seq: rows[0]!.seq, amount: 15000, method: 'cash', overpayment: false }) })]);

        const wo = () => h.odoo.orm.sudo().model('drmoto.work.order').read([id], ['amount_paid', 'amount_due', 'amount_invoiced'])[0] as Record<string, number>;
        await waitFor(() => wo().amount_paid === 150);
        expect(wo()).toEqual(expect.objectContaining({ amount_due: 0, amount_invoiced: 150 }));
        const payments = h.odoo.orm.sudo().model('account.payment').searchRead([['drmoto_work_order_id', '=', id]], ['drmoto_channel', 'journal_id', 'amount']);
        expect(payments).toEqual([expect.objectContaining({ drmoto_channel: 'offline', amount: 150 })]);
        const odooAudit = h.odoo.orm.sudo().model('drmoto.audit.log').searchRead([['work_order_id', '=', id], ['action', '=', 'payment']], ['actor_kind', 'note', 'res_model']);
        expect(odooAudit).toEqual([expect.objectContaining({ actor_kind: 'system', res_model: 'account.payment', note: expect.stringMatching(/^cash · paid at pickup \(recorded by staff:\d+\)$/) })]);

        const again = await offline(id, cashier, { method: 'cash', amount: 15000, note: 'paid at pickup' }, key);
        expect(again.status).toBe(201);
        expect(again.headers.get('idempotent-replayed')).toBe('true');
        expect(again.body.ledger.seq).toBe(r.body.ledger.seq);
        expect(await ledgerRows(id)).toHaveLength(1);
        // nothing due any more
        expectProblem(await offline(id, cashier, { method: 'cash', amount: 1 }), 409, 'NOTHING_DUE');
      });

      it("a payment changes the work order's ETag (no stale 304 with the old amount due) but not its revision: If-Match from before still works", async () => {
        const { id } = await payableWorkOrder(9000);
        const first = await h.req('GET', `/api/v1/work-orders/${id}`, { token: advisor });
        const tag = first.headers.get('etag')!;
        expect(tag).toMatch(new RegExp(`^"${first.body.revision}-[0-9a-f]{10}"$`));
        expect(first.headers.get('cache-control')).toBe('private, no-cache');
        // As a browser revalidates (fetch() with an explicit If-None-Match would add Cache-Control: no-cache).
        const revalidate = { 'if-none-match': tag, 'cache-control': 'max-age=0' };
        expect((await h.req('GET', `/api/v1/work-orders/${id}`, { token: advisor, headers: revalidate })).status).toBe(304);

        expect((await offline(id, cashier, { method: 'cash', amount: 9000 })).status).toBe(201);
        await waitFor(async () => (await h.req('GET', `/api/v1/work-orders/${id}`, { token: advisor })).body.amounts.due === 0);
        const after = await h.req('GET', `/api/v1/work-orders/${id}`, { token: advisor, headers: revalidate });
        expect(after.status).toBe(200);
        expect(after.body.amounts.due).toBe(0);
        expect(after.body.revision).toBe(first.body.revision);
        expect(after.headers.get('etag')).not.toBe(tag);
        // The change was based on the read before the payment: it is not a conflict (If-Match compares the revision).
        const ready = await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: technician, body: { action: 'mark_ready' }, headers: { 'if-match': tag } });
        expect(ready.status).toBe(200);
        const stale = await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: advisor, body: { action: 'deliver' }, headers: { 'if-match': tag } });
        expectProblem(stale, 412);
      });

      it('the same key after the idempotency store lost it still lands on the same ledger row', async () => {
        const { id } = await payableWorkOrder();
        const key = `cash-${id}-lost`;
        const a = await offline(id, cashier, { method: 'card_terminal', amount: 5000, reference: 'SLIP-77' }, key);
        expect(a.status).toBe(201);
        await h.bff.container.db.query('DELETE FROM idempotency_keys');
        const b = await offline(id, cashier, { method: 'card_terminal', amount: 5000, reference: 'SLIP-77' }, key);
        expect(b.status).toBe(201);
        expect(b.body).toEqual(expect.objectContaining({ replayed: true, amount: 5000, due_before: 15000, due_after: 10000 }));
        expect(b.body.ledger.seq).toBe(a.body.ledger.seq);
        expect(await ledgerRows(id)).toHaveLength(1);
      });

      it('partial payments add up; more than due → 409 with the due; a manager may accept an overpayment, a cashier may not', async () => {
        const { id } = await payableWorkOrder();
        expect((await offline(id, cashier, { method: 'cash', amount: 5000 })).body.due_after).toBe(10000);
        const over = await offline(id, cashier, { method: 'bank_transfer', amount: 12000, reference: 'TRX-1' });
        expectProblem(over, 409, 'AMOUNT_EXCEEDS_DUE');
        expect(over.body).toEqual(expect.objectContaining({ due: 10000, currency: 'CNY' }));
        expectProblem(await offline(id, cashier, { method: 'cash', amount: 12000, allow_overpayment: true }), 403, 'OVERPAYMENT_NEEDS_MANAGER');
        const ok = await offline(id, manager, { method: 'cash', amount: 12000, allow_overpayment: true });
        expect(ok.status).toBe(201);
        expect(ok.body).toEqual(expect.objectContaining({ due_before: 10000, due_after: -2000, overpayment: true }));
        expect((await ledgerRows(id)).map((e) => e.amount)).toEqual([5000, 12000]);
        const wo = () => h.odoo.orm.sudo().model('drmoto.work.order').read([id], ['amount_paid', 'amount_due'])[0] as Record<string, number>;
        await waitFor(() => wo().amount_paid === 170);
        expect(wo().amount_due).toBe(-20);
      });

      it('bad input and wrong callers: 400 / 403 / 404 / 409, ledger untouched', async () => {
        const { id, token } = await payableWorkOrder();
        expectProblem(await offline(id, cashier, { method: 'card_terminal', amount: 100 }), 400);
        expectProblem(await offline(id, cashier, { method: 'cash', amount: 0 }), 400);
        expectProblem(await offline(id, cashier, { method: 'cash', amount: 1.5 }), 400);
        expectProblem(await offline(id, cashier, { method: 'cheque', amount: 100 }), 400);
        expectProblem(await offline(id, cashier, { method: 'cash', amount: 100, extra: 1 }), 400);
        expectProblem(await h.req('POST', `/api/v1/work-orders/${id}/payments/offline`, { token: cashier, body: { method: 'cash', amount: 100 } }), 400, 'IDEMPOTENCY_KEY_REQUIRED');
        expectProblem(await offline(id, advisor, { method: 'cash', amount: 100 }), 403);
        expectProblem(await offline(id, token, { method: 'cash', amount: 100 }), 403);
        expectProblem(await offline(999999, cashier, { method: 'cash', amount: 100 }), 404);
        // a work order without a confirmed quote
        const me = await h.customerLogin('off-draft', 'phone-13600008888');
        const v = await h.req('POST', '/api/v1/vehicles', { token: me.access_token, body: { plate_no: '粤R99999' } });
        const draft = await h.req('POST', '/api/v1/work-orders', { token: me.access_token, body: { vehicle_id: v.body.id } });
        expectProblem(await offline(draft.body.id, cashier, { method: 'cash', amount: 100 }), 409, 'NOT_PAYABLE');
        expect(await ledgerRows(id)).toEqual([]);
      });
    } else {
      it('two concurrent counter payments of the whole amount due: one 201, one 409, one ledger row', async () => {
        const { id } = await payableWorkOrder();
        const results = await Promise.all([1, 2].map((i) => offline(id, cashier, { method: 'cash', amount: 15000 }, `race-${id}-${i}-key`)));
        expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
        expectProblem(results.find((r) => r.status === 409)!, 409, 'NOTHING_DUE');
        expect((await ledgerRows(id)).map((e) => e.amount)).toEqual([15000]);
      });
    }
  });
}

suite('offline payments (PGlite)', {});
if (databaseUrl) suite('offline payments (PostgreSQL)', { databaseUrl });
else describe('offline payments (PostgreSQL)', () => it.skip('needs DATABASE_URL: the concurrent check runs on PostgreSQL only', () => undefined));
