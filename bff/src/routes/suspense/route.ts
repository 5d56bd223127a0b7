import { Router } from 'express';
import { z } from 'zod';
import { readIdempotencyKey } from '../../http/idempotency';
import type { RouteRegistry } from '../../http/route';
import type { SuspenseService } from '../../services/suspense.service';
import { applyBody, applyResult, refundView, seqParam, suspenseItem, suspenseQuery, suspenseRefundBody } from './validators';

export function suspenseRoutes(reg: RouteRegistry, svc: SuspenseService): Router {
  const r = Router();
  const tags = ['suspense'];

  reg.add(r, {
    method: 'get',
    path: '/suspense',
    summary: 'Money held in suspense (late, excess or unmatched payments), newest first',
    tags,
    access: { staff: ['cashier'] },
    query: suspenseQuery,
    responses: { 200: { description: 'Suspense entries with what is still open', schema: z.object({ items: z.array(suspenseItem) }) } },
    handler: async ({ query }, _req, res) => {
      res.json({ items: await svc.list({ all: query.all === 'true' }) });
    },
  });

  reg.add(r, {
    method: 'post',
    path: '/suspense/:seq/apply',
    summary: "Apply a suspense entry (whole) to a work order as its payment: ledgered (suspense −x, charge +x), settled to Odoo, audited",
    tags,
    access: { staff: ['manager'] },
    idempotency: 'required',
    params: seqParam,
    body: applyBody,
    responses: {
      201: { description: 'Applied', schema: applyResult },
      409: { description: 'SUSPENSE_APPLIED, SUSPENSE_NOT_OPEN, AMOUNT_EXCEEDS_DUE, NOT_PAYABLE' },
    },
    handler: async ({ params, body, principal, traceId }, _req, res) => {
      res.status(201).json(await svc.apply(principal, params.seq, body.work_order_id, { allowOverpayment: body.allow_overpayment, traceId }));
    },
  });

  reg.add(r, {
    method: 'post',
    path: '/suspense/:seq/refund',
    summary: 'Pay suspense money back on its channel; ledgered when the provider confirms, audited',
    tags,
    access: { staff: ['manager'] },
    idempotency: 'required',
    params: seqParam,
    body: suspenseRefundBody,
    responses: {
      201: { description: 'Refunded and ledgered', schema: refundView },
      202: { description: 'Sent to the provider; ledgered on its confirmation', schema: refundView },
      409: { description: 'REFUND_EXCEEDS_SUSPENSE or REFUND_REFUSED' },
    },
    handler: async ({ params, body, principal, traceId }, req, res) => {
      const key = readIdempotencyKey(req, 'required')!;
      const out = await svc.refund(principal, params.seq, body, key, traceId);
      res.status(out.status === 'succeeded' ? 201 : 202).json(out);
    },
  });
  return r;
}
