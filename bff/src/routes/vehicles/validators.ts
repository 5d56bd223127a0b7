import { z } from 'zod';
import { pageOf, pageQuery, plainInt, text } from '../common';

const year = z.number().int().min(1900).max(new Date().getUTCFullYear() + 1);

export const createVehicleBody = z
  .object({
    customer_id: z.number().int().positive().optional().describe('Owner (staff: required; customers: themselves)'),
    plate_no: z.string().trim().min(2).max(20).describe('Licence plate as written, e.g. 粤B·12345'),
    vin: z.string().trim().min(1).max(17).nullable().optional(),
    brand: text(64).nullable().optional(),
    model: text(64).nullable().optional(),
    year: year.nullable().optional(),
    odometer_km: z.number().int().min(0).max(10_000_000).nullable().optional(),
  })
  .strict();
export type CreateVehicleBody = z.infer<typeof createVehicleBody>;

export const patchVehicleBody = createVehicleBody.partial().strict().refine((b) => Object.keys(b).length > 0, 'at least one field');
export type PatchVehicleBody = z.infer<typeof patchVehicleBody>;

export const vehicleListQuery = z
  .object({
    q: text(64).optional().describe('Plate, VIN or phone, partial and case-insensitive'),
    plate: text(20).optional(),
    vin: text(17).optional(),
    phone: z.string().trim().regex(/^[+\d\s-]{3,32}$/, 'digits only').optional(),
    customer_id: plainInt(2 ** 31 - 1).optional(),
    ...pageQuery,
  })
  .strict();
export type VehicleListQuery = z.infer<typeof vehicleListQuery>;

export const vehicle = z.object({
  id: z.number().int(),
  plate_no: z.string(),
  plate_normalized: z.string(),
  vin: z.string().nullable(),
  brand: z.string().nullable(),
  model: z.string().nullable(),
  year: z.number().int().nullable(),
  odometer_km: z.number().int().nullable(),
  customer_id: z.number().int(),
  customer_name: z.string().nullable(),
  shop_id: z.number().int().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  ownership: z
    .enum(['unconfirmed', 'confirmed'])
    .describe('`unconfirmed`: registered by the customer, not yet checked by staff. Staff registering the same plate for its owner archives an unconfirmed registration of someone else.'),
});
export const vehiclePage = pageOf(vehicle);
