import { Router } from 'express';
import type { RouteRegistry } from '../../http/route';
import type { MediaService } from '../../services/media.service';
import { idParam } from '../common';
import { completedMedia, mediaList, presignBody, presignResult, uploadIdParam } from './validators';

/**
 * Media: staff who work on the vehicle (advisor, technician; a manager passes every staff check) upload check-in,
 * damage and repair photos and videos; customers upload damage photos to their own work orders; every staff role and
 * the owning customer may see them (keepers identify parts, cashiers show the evidence at the counter).
 */
export function mediaRoutes(reg: RouteRegistry, svc: MediaService): Router {
  const r = Router();
  const tags = ['media'];

  reg.add(r, {
    method: 'post',
    path: '/work-orders/:id/media/uploads',
    summary: 'Presign an upload of a photo or video straight to storage (an S3 POST policy by default, or a PUT)',
    tags,
    access: { staff: ['advisor', 'technician'], customer: 'bound' },
    idempotency: 'optional',
    params: idParam,
    body: presignBody,
    responses: { 201: { description: 'Where and how to upload; then POST /media/:id/complete', schema: presignResult } },
    handler: async ({ params, body, principal }, _req, res) => {
      res.status(201).json(await svc.presign(principal, params.id, body));
    },
  });

  reg.add(r, {
    method: 'post',
    path: '/media/:id/complete',
    summary: 'Check the uploaded object (key, expiry, size, type, magic number) and record it in Odoo; repeatable',
    tags,
    access: { staff: ['advisor', 'technician'], customer: 'bound' },
    params: uploadIdParam,
    responses: { 200: { description: 'The media recorded in Odoo (replayed: true on a repeat)', schema: completedMedia } },
    handler: async ({ params, principal }, _req, res) => {
      res.json(await svc.complete(principal, params.id));
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/work-orders/:id/media',
    summary: "A work order's photos and videos with short-lived signed GET URLs (customers: their own work orders)",
    tags,
    access: { staff: 'any', customer: 'bound' },
    params: idParam,
    responses: { 200: { description: 'The media, oldest first', schema: mediaList } },
    handler: async ({ params, principal }, _req, res) => {
      res.json(await svc.list(principal, params.id));
    },
  });
  return r;
}
