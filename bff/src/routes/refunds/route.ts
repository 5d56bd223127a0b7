import { Router } from 'express';
import { z } from 'zod';
import { readIdempotencyKey } from '../../http/idempotency';
import type { RouteRegistry } from '../../http/route';
import type { RefundService } from '../../services/refund.service';
import { idParam } from '../common';
import { refundBody, refundView } from './validators';

export function refundRoutes(reg: RouteRegistry, svc: RefundService): Router {
  const r = Router();
  const tags = ['refunds'];

  reg.add(r, {
    method: 'post',
    path: '/work-orders/:id/refunds',
    summary: 'Refund money of a work order on the channel it was paid with (allowed after close); at most what was paid less what is refunded or in flight',
    tags,
    access: { staff: ['manager'] },
    idempotency: 'required',
    params: idParam,
    body: refundBody,
    responses: {
      201: { description: 'Refunded and ledgered (offline money, or the provider confirmed at once)', schema: refundView },
      202: { description: 'Sent to the provider; the ledger row follows its confirmation (notification or query)', schema: refundView },
      409: { description: 'REFUND_EXCEEDS_PAID, REFUND_EXCEEDS_PAYMENT, REFUND_SPLIT_NEEDED (details: payments) or REFUND_REFUSED' },
    },
    handler: async ({ params, body, principal, traceId }, req, res) => {
      const key = readIdempotencyKey(req, 'required')!;
      const out = await svc.request(principal, params.id, body, key, traceId);
      res.status(out.refund.status === 'succeeded' ? 201 : 202).json(out.refund);
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/work-orders/:id/refunds',
    summary: "A work order's refund requests and their state",
    tags,
    access: { staff: 'any' },
    params: idParam,
    responses: { 200: { description: 'Refund requests, oldest first', schema: z.object({ items: z.array(refundView) }) } },
    handler: async ({ params, principal }, _req, res) => {
      res.json({ items: await svc.forWorkOrder(principal, params.id) });
    },
  });
  return r;
}
