import { Router } from 'express';
import type { RouteRegistry } from '../../http/route';
import type { PartsService } from '../../services/parts.service';
import { key } from '../work-orders/route';
import { idParam } from '../common';
import { partLinesBody, partRows, partsView, postedPicking } from './validators';

export function partsRoutes(reg: RouteRegistry, svc: PartsService): Router {
  const r = Router();
  const tags = ['parts'];

  reg.add(r, {
    method: 'post',
    path: '/work-orders/:id/parts/requests',
    summary: 'Technician requests parts for the keeper to issue',
    tags,
    access: { staff: ['technician', 'advisor'] },
    idempotency: 'optional',
    params: idParam,
    body: partLinesBody,
    responses: { 200: { description: 'Parts of the work order', schema: partRows } },
    handler: async ({ params, body, principal }, req, res) => {
      res.json(await svc.request(principal, params.id, body.lines, key(principal, req)));
    },
  });

  for (const [kind, summary] of [
    ['issue', 'Issue parts: ONE validated Odoo picking stock → customer; a retry with the same Idempotency-Key never posts a second one'],
    ['return', 'Return parts: ONE validated Odoo picking back to stock; never more than was issued'],
  ] as const) {
    reg.add(r, {
      method: 'post',
      path: `/work-orders/:id/parts/${kind}`,
      summary,
      tags,
      access: { staff: ['keeper'] },
      idempotency: 'required',
      params: idParam,
      body: partLinesBody,
      responses: { 201: { description: 'The posted picking', schema: postedPicking } },
      handler: async ({ params, body, principal }, req, res) => {
        const out = kind === 'issue' ? await svc.issue(principal, params.id, body.lines, key(principal, req)) : await svc.giveBack(principal, params.id, body.lines, key(principal, req));
        res.status(201).json(out);
      },
    });
  }

  reg.add(r, {
    method: 'get',
    path: '/work-orders/:id/parts',
    summary: 'Planned / requested / issued / returned per product, and the pickings with their state',
    tags,
    access: { staff: 'any', customer: 'bound' },
    params: idParam,
    responses: { 200: { description: 'Parts and pickings', schema: partsView } },
    handler: async ({ params, principal }, _req, res) => {
      res.json(await svc.list(principal, params.id));
    },
  });
  return r;
}
