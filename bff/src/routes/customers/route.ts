import { Router } from 'express';
import { AppError } from '../../errors';
import type { RouteRegistry } from '../../http/route';
import type { CustomerService } from '../../services/customer.service';
import { idParam } from '../common';
import { customer, customerListQuery, customerPage, patchCustomerBody, upsertCustomerBody, upsertResult, vehicleList } from './validators';

export function customerRoutes(reg: RouteRegistry, svc: CustomerService): Router {
  const r = Router();
  const tags = ['customers'];

  reg.add(r, {
    method: 'post',
    path: '/customers',
    summary: 'Create a customer, or return the existing one with that phone (dedupe by normalized phone)',
    tags,
    access: { staff: ['advisor'] },
    body: upsertCustomerBody,
    responses: { 201: { description: 'Created', schema: upsertResult }, 200: { description: 'Existing customer with this phone', schema: upsertResult } },
    handler: async ({ body }, _req, res) => {
      const { customer: c, created } = await svc.upsert(body);
      res.status(created ? 201 : 200).location(`/api/v1/customers/${c.id}`).json({ ...c, created });
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/customers',
    summary: 'Search customers by name or phone (staff)',
    tags,
    access: { staff: 'any' },
    query: customerListQuery,
    responses: { 200: { description: 'A page of customers', schema: customerPage } },
    handler: async ({ query }, _req, res) => {
      res.json(await svc.search(query.q, query));
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/customers/:id',
    summary: 'A customer (customers: only themselves)',
    tags,
    access: { staff: 'any', customer: 'bound' },
    params: idParam,
    responses: { 200: { description: 'The customer', schema: customer } },
    handler: async ({ params, principal }, _req, res) => {
      res.json(await svc.get(principal, params.id));
    },
  });

  reg.add(r, {
    method: 'patch',
    path: '/customers/:id',
    summary: 'Change a customer (customers: themselves, not their bound phone)',
    tags,
    access: { staff: ['advisor'], customer: 'bound' },
    params: idParam,
    body: patchCustomerBody,
    responses: { 200: { description: 'The customer', schema: customer } },
    handler: async ({ params, body, principal }, _req, res) => {
      if (principal.kind === 'customer' && body.phone !== undefined) {
        throw new AppError('forbidden', 'Your phone number is bound through WeChat; ask the shop to change it.');
      }
      res.json(await svc.update(principal, params.id, body));
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/customers/:id/vehicles',
    summary: "A customer's vehicles",
    tags,
    access: { staff: 'any', customer: 'bound' },
    params: idParam,
    responses: { 200: { description: 'Vehicles', schema: vehicleList } },
    handler: async ({ params, principal }, _req, res) => {
      res.json({ items: await svc.vehiclesOf(principal, params.id) });
    },
  });
  return r;
}
