import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors';
import type { RouteRegistry } from '../../http/route';
import type { JobQueue } from '../../jobs/queue';

const failedJob = z.object({ id: z.string(), name: z.string(), failed_reason: z.string().nullable(), attempts: z.number().int(), data: z.unknown() });

export function adminRoutes(reg: RouteRegistry, queue: JobQueue): Router {
  const r = Router();
  reg.add(r, {
    method: 'get',
    path: '/admin/failed-jobs',
    summary: 'Jobs that failed for good (e.g. a settlement Odoo refused): inspect and retry',
    tags: ['admin'],
    access: { staff: ['manager'] },
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).strict(),
    responses: { 200: { description: 'Failed jobs', schema: z.object({ items: z.array(failedJob) }) } },
    handler: async ({ query }, _req, res) => {
      const jobs = await queue.getFailed({ limit: query.limit });
      res.json({
        items: jobs.map((j) => ({ id: j.id, name: j.name, failed_reason: j.failedReason || null, attempts: j.attemptsMade, data: j.data ?? null })),
      });
    },
  });
  reg.add(r, {
    method: 'post',
    path: '/admin/failed-jobs/:id/retry',
    summary: 'Retry a failed job (same job id: the handler is idempotent)',
    tags: ['admin'],
    access: { staff: ['manager'] },
    params: z.object({ id: z.string().min(1).max(200) }).strict(),
    responses: { 200: { description: 'Queued again', schema: z.object({ id: z.string(), retried: z.boolean() }) } },
    handler: async ({ params }, _req, res) => {
      const retried = await queue.retry(params.id);
      if (!retried) throw new AppError('not_found', `No failed job ${params.id}.`);
      res.json({ id: params.id, retried });
    },
  });
  return r;
}
