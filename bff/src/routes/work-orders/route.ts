import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { AppError } from '../../errors';
import type { RouteRegistry } from '../../http/route';
import type { Principal } from '../../domain/principal';
import { WorkOrderService } from '../../services/work-order.service';
import { idParam } from '../common';
import {
  createQuoteBody,
  createWorkOrderBody,
  diagnosisBody,
  listWorkOrdersQuery,
  quoteView,
  rejectQuoteBody,
  transitionBody,
  transitionResult,
  versionParams,
  workOrderDetail,
  workOrderPage,
} from './validators';
import { z } from 'zod';

/**
 * `"7"`, `"7-3fa2c9d01b"`, `W/"7"` or `7` → 7; absent or `*` → no precondition. The ETag of a work order read is
 * `"<revision>-<fingerprint of the body>"`: money arriving changes the body (amounts) but not the revision, so a
 * cached copy is revalidated, yet a change based on that read does not conflict — If-Match compares the revision.
 */
export function parseIfMatchValue(h: string | undefined): number | null {
  if (h === undefined || h.trim() === '*') return null;
  const m = h.trim().match(/^(?:W\/)?"?(\d{1,9})(?:-[0-9a-f]{10})?"?$/);
  if (!m) throw new AppError('invalid_input', 'If-Match must be the ETag of the work order, e.g. "7".');
  return Number(m[1]);
}

export function parseIfMatch(req: Request): number | null {
  return parseIfMatchValue(req.header('if-match'));
}

// Checked by the registry before the Idempotency-Key is claimed: a malformed If-Match must not spend the key.
const IF_MATCH = {
  'If-Match': { description: 'The work order revision (its ETag) this change is based on; a stale one → 412', check: (v: string | undefined) => void parseIfMatchValue(v) },
};
const IDEMPOTENCY = { 'Idempotency-Key': { description: 'Makes a retry return the first result (8–255 chars)' } };

function etag(res: Response, revision: number): void {
  res.setHeader('ETag', `"${revision}"`);
}

/**
 * The ETag of a read: the revision plus a fingerprint of the representation. Payments and refunds change a work
 * order's amounts without a new revision (DESIGN: money must not make a client's If-Match stale), so the revision
 * alone would let a conditional GET answer 304 with the old amount due.
 */
function sendRead(res: Response, revision: number, body: unknown): void {
  const json = JSON.stringify(body); // serialized once: fingerprinted and sent
  const fp = createHash('sha256').update(json).digest('hex').slice(0, 10);
  res.setHeader('ETag', `"${revision}-${fp}"`);
  // Per user (a customer's own work order): no shared cache; a private one revalidates every time.
  res.setHeader('Cache-Control', 'private, no-cache');
  res.type('application/json').send(json);
}

/** The Odoo request key of this request (derived from its Idempotency-Key; see WorkOrderService.requestKey). */
export function key(p: Principal, req: Request): string {
  return WorkOrderService.requestKey(p, `${req.method} ${req.baseUrl}${req.path}`, req.header('idempotency-key'));
}

export function workOrderRoutes(reg: RouteRegistry, svc: WorkOrderService): Router {
  const r = Router();
  const tags = ['work-orders'];

  reg.add(r, {
    method: 'post',
    idempotency: 'optional',
    path: '/work-orders',
    etag: true,
    summary: 'Open a work order: advisor check-in, or a customer service request for their own vehicle (→ draft)',
    tags,
    access: { staff: ['advisor'], customer: 'bound' },
    body: createWorkOrderBody,
    headers: IDEMPOTENCY,
    responses: { 201: { description: 'Created (or the one this Idempotency-Key created)', schema: workOrderDetail } },
    handler: async ({ body, principal }, req, res) => {
      const wo = await svc.open(principal, body, key(principal, req));
      etag(res, wo.revision);
      res.status(201).location(`/api/v1/work-orders/${wo.id}`).json(wo);
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/work-orders',
    summary: 'List work orders with filters, sort and pagination (customers: their own)',
    tags,
    access: { staff: 'any', customer: 'bound' },
    query: listWorkOrdersQuery,
    responses: { 200: { description: 'A page', schema: workOrderPage } },
    handler: async ({ query, principal }, _req, res) => {
      res.json(await svc.list(principal, query));
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/work-orders/:id',
    etag: true,
    summary: 'A work order with quote versions, planned parts, amount due and the status timeline; ETag = "<revision>-<fingerprint>" (If-Match compares the revision)',
    tags,
    access: { staff: 'any', customer: 'bound' },
    params: idParam,
    responses: { 200: { description: 'The work order', schema: workOrderDetail } },
    handler: async ({ params, principal }, _req, res) => {
      const wo = await svc.detail(principal, params.id);
      sendRead(res, wo.revision, wo);
    },
  });

  reg.add(r, {
    method: 'post',
    idempotency: 'optional',
    path: '/work-orders/:id/transitions',
    summary: 'Move a work order (checkin, start_diagnosis, start_repair, mark_ready, deliver, close, cancel)',
    tags,
    access: { staff: 'any' },
    params: idParam,
    body: transitionBody,
    headers: { ...IF_MATCH, ...IDEMPOTENCY },
    responses: { 200: { description: 'The new state and revision', schema: transitionResult } },
    handler: async ({ params, body, principal }, req, res) => {
      const out = await svc.transition(principal, params.id, body.action, body, parseIfMatch(req), key(principal, req));
      etag(res, out.revision);
      res.json(out);
    },
  });

  reg.add(r, {
    method: 'post',
    idempotency: 'optional',
    path: '/work-orders/:id/diagnosis',
    summary: 'Record the diagnosis (while diagnosing)',
    tags,
    access: { staff: ['advisor', 'technician'] },
    params: idParam,
    body: diagnosisBody,
    headers: { ...IF_MATCH, ...IDEMPOTENCY },
    responses: { 200: { description: 'The new revision', schema: transitionResult } },
    handler: async ({ params, body, principal }, req, res) => {
      const out = await svc.recordDiagnosis(principal, params.id, body.text, parseIfMatch(req), key(principal, req));
      etag(res, out.revision);
      res.json(out);
    },
  });

  reg.add(r, {
    method: 'post',
    idempotency: 'optional',
    path: '/work-orders/:id/quotes',
    summary: 'Create the next quote version (complete: labor and part lines; Odoo computes taxes and totals)',
    tags,
    access: { staff: ['advisor'] },
    params: idParam,
    body: createQuoteBody,
    headers: { ...IF_MATCH, ...IDEMPOTENCY },
    responses: { 201: { description: 'The new version (draft)', schema: transitionResult } },
    handler: async ({ params, body, principal }, req, res) => {
      const out = await svc.createQuote(principal, params.id, body.lines, body.note, parseIfMatch(req), key(principal, req));
      etag(res, out.revision);
      res.status(201).location(`/api/v1/work-orders/${params.id}/quotes/${out.quote_version}`).json(out);
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/work-orders/:id/quotes',
    summary: 'All quote versions with lines, taxes and totals',
    tags,
    access: { staff: 'any', customer: 'bound' },
    params: idParam,
    responses: { 200: { description: 'Versions, oldest first', schema: z.object({ items: z.array(quoteView) }) } },
    handler: async ({ params, principal }, _req, res) => {
      res.json({ items: await svc.quotes(principal, params.id) });
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/work-orders/:id/quotes/:version',
    summary: 'One quote version',
    tags,
    access: { staff: 'any', customer: 'bound' },
    params: versionParams,
    responses: { 200: { description: 'The version', schema: quoteView } },
    handler: async ({ params, principal }, _req, res) => {
      res.json(await svc.quote(principal, params.id, params.version));
    },
  });

  reg.add(r, {
    method: 'post',
    idempotency: 'optional',
    path: '/work-orders/:id/quotes/:version/send',
    summary: 'Send the latest (draft) version to the customer; it becomes immutable',
    tags,
    access: { staff: ['advisor'] },
    params: versionParams,
    headers: { ...IF_MATCH, ...IDEMPOTENCY },
    responses: { 200: { description: 'The new state', schema: transitionResult } },
    handler: async ({ params, principal }, req, res) => {
      const out = await svc.sendQuote(principal, params.id, params.version, parseIfMatch(req), key(principal, req));
      etag(res, out.revision);
      res.json(out);
    },
  });

  for (const decision of ['confirm', 'reject'] as const) {
    reg.add(r, {
      method: 'post',
    idempotency: 'optional',
      path: `/work-orders/:id/quotes/:version/${decision}`,
      summary: `${decision === 'confirm' ? 'Confirm' : 'Reject'} the latest sent version (the customer; an advisor on their behalf, audited)`,
      tags,
      access: { staff: ['advisor'], customer: 'bound' },
      params: versionParams,
      body: decision === 'reject' ? rejectQuoteBody : undefined,
      headers: { ...IF_MATCH, ...IDEMPOTENCY },
      responses: { 200: { description: 'The new state', schema: transitionResult } },
      handler: async ({ params, body, principal }, req, res) => {
        const note = (body as { note?: string } | undefined)?.note;
        const out = await svc.decideQuote(principal, params.id, params.version, decision, note, parseIfMatch(req), key(principal, req));
        etag(res, out.revision);
        res.json(out);
      },
    });
  }
  return r;
}
