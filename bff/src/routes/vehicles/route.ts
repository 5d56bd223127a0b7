import { Router } from 'express';
import type { RouteRegistry } from '../../http/route';
import type { VehicleService } from '../../services/vehicle.service';
import { idParam } from '../common';
import { createVehicleBody, patchVehicleBody, vehicle, vehicleListQuery, vehiclePage } from './validators';

export function vehicleRoutes(reg: RouteRegistry, svc: VehicleService): Router {
  const r = Router();
  const tags = ['vehicles'];

  reg.add(r, {
    method: 'post',
    path: '/vehicles',
    summary: "Register a vehicle (a customer's stays `unconfirmed` until staff confirm it); a plate already registered in the shop → 409 naming the vehicle to staff, nothing to a customer. Staff registering a plate for its owner archives another customer's unconfirmed registration of it",
    tags,
    access: { staff: ['advisor'], customer: 'bound' },
    body: createVehicleBody,
    responses: { 201: { description: 'Created', schema: vehicle } },
    handler: async ({ body, principal }, _req, res) => {
      const v = await svc.create(principal, body);
      res.status(201).location(`/api/v1/vehicles/${v.id}`).json(v);
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/vehicles',
    summary: 'Staff: search by plate / VIN / phone (partial, case-insensitive). Customers: their own vehicles',
    tags,
    access: { staff: 'any', customer: 'bound' },
    query: vehicleListQuery,
    responses: { 200: { description: 'A page of vehicles', schema: vehiclePage } },
    handler: async ({ query, principal }, _req, res) => {
      res.json(await svc.search(principal, query));
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/vehicles/:id',
    summary: 'A vehicle (customers: their own)',
    tags,
    access: { staff: 'any', customer: 'bound' },
    params: idParam,
    responses: { 200: { description: 'The vehicle', schema: vehicle } },
    handler: async ({ params, principal }, _req, res) => {
      res.json(await svc.get(principal, params.id));
    },
  });

  reg.add(r, {
    method: 'post',
    path: '/vehicles/:id/confirm-ownership',
    summary: "Staff confirm who owns a vehicle a customer registered (papers seen at check-in or the counter)",
    tags,
    access: { staff: ['advisor'] },
    params: idParam,
    responses: { 200: { description: 'The vehicle, `ownership: confirmed`', schema: vehicle } },
    handler: async ({ params, principal }, _req, res) => {
      res.json(await svc.confirmOwnership(principal, params.id));
    },
  });

  reg.add(r, {
    method: 'patch',
    path: '/vehicles/:id',
    summary: 'Change a vehicle (customers: their own)',
    tags,
    access: { staff: ['advisor'], customer: 'bound' },
    params: idParam,
    body: patchVehicleBody,
    responses: { 200: { description: 'The vehicle', schema: vehicle } },
    handler: async ({ params, body, principal }, _req, res) => {
      res.json(await svc.update(principal, params.id, body));
    },
  });
  return r;
}
