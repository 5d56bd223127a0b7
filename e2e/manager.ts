import assert from 'node:assert/strict';
import type { Request } from 'playwright-core';
import { go, ready, waitAttr, waitText } from './browser';
import { escape, switchUser, yuan, type JourneyOptions, type JourneyResult } from './journey';

/**
 * The manager's part, after the journey (e2e/journey.ts) closed a work order paid with WeChat: a refund of part of
 * it — double-clicked — that WeChat Pay confirms a moment later by its notification (the page shows it settle), then
 * the payments report of the last seven days. Shared by e2e/journey.e2e.test.ts and `npm run demo:screenshots`.
 */
export interface ManagerResult {
  /** Minor units refunded. */
  amount: number;
  /** The Idempotency-Key of every POST …/refunds the page sent. */
  keys: (string | null)[];
  /** The BFF's first answer to the refund (202: sent to WeChat, the ledger row follows its notification). */
  answer: { status: number; body: { id: number; status: string; amount: number; credit_amount: number; currency: string } };
  /** The report range the page used and the net total it shows. */
  report: { from: string; to: string; totalNet: string };
}

export async function runManager(o: JourneyOptions, j: JourneyResult): Promise<ManagerResult> {
  const lang = o.lang ?? 'en';
  const shot = o.shot ?? (async () => undefined);
  const step = o.step ?? (() => undefined);
  const s = j.staffPage;

  step('manager refunds part of the paid, closed work order (WeChat)');
  await switchUser(s, 'manager', j.woId);
  await waitAttr(s.getByTestId('wo-head'), 'data-status', 'closed');
  const panel = s.getByTestId('refunds');
  await waitText(panel.getByTestId('refund-refundable'), new RegExp(escape(yuan(j.total))));
  const amount = Math.floor(j.total / 300) * 100; // a third of it, in whole yuan
  assert.ok(amount > 0 && amount < j.total);
  await panel.getByTestId('refund-amount').fill(yuan(amount).slice(1).replace(/,/g, ''));
  await panel.getByTestId('refund-reason').fill(lang === 'zh' ? '刹车油未更换，退还部分费用' : 'Brake fluid not replaced: part of the price back');
  const keys: (string | null)[] = [];
  const isRefundPost = (req: Request) => req.method() === 'POST' && /^\/api\/v1\/work-orders\/\d+\/refunds$/.test(new URL(req.url()).pathname);
  s.on('request', (req) => {
    if (isRefundPost(req)) keys.push(req.headers()['idempotency-key'] ?? null);
  });
  const answered = s.waitForResponse((r) => isRefundPost(r.request()));
  await panel.getByTestId('refund-submit').dblclick();
  const res = await answered;
  const answer = { status: res.status(), body: await res.json() };
  // WeChat confirms the refund by its notification; the panel polls until the request settles.
  const row = s.locator(`[data-testid=refund-row][data-id="${answer.body.id}"]`);
  await waitAttr(row, 'data-status', 'succeeded', 20_000);
  await waitText(row.getByTestId('refund-row-amount'), new RegExp(`^${escape(yuan(amount))}$`));
  const split = await row.getByTestId('refund-split').innerText();
  assert.ok(split.includes(yuan(answer.body.amount - answer.body.credit_amount)) && split.includes(yuan(answer.body.credit_amount)), split);
  await waitText(s.getByTestId('refund-refundable'), new RegExp(escape(yuan(j.total - amount))));
  await s.locator('[data-testid=ledger] li[data-kind=refund]').waitFor();
  await panel.evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await shot(s, '18-manager-refund');

  step('manager reads the payments report of the last seven days');
  await go(s, '#/s');
  await s.getByTestId('go-office').click();
  await ready(s);
  await s.getByTestId('report-pick').selectOption('payments');
  await s.getByTestId('report-show').click();
  const table = s.locator('[data-testid=report-table][data-report=payments]');
  await table.waitFor();
  const report = { from: await s.getByTestId('report-from').inputValue(), to: await s.getByTestId('report-to').inputValue(), totalNet: (await table.getByTestId('report-total-net').first().innerText()).trim() };
  await s.getByTestId('reports').scrollIntoViewIfNeeded();
  await shot(s, '19-manager-report');
  return { amount, keys, answer, report };
}
