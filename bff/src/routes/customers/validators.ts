import { z } from 'zod';
import { pageOf, pageQuery, text } from '../common';
import { vehicle } from '../vehicles/validators';

const phone = z.string().trim().min(5).max(32).describe('Mobile number; written any way (+86 138-0013-8000 = 13800138000)');
const email = z.string().trim().max(254).pipe(z.email()).nullable();

export const upsertCustomerBody = z
  .object({
    name: text(128),
    phone,
    email: email.optional(),
    street: text(256).nullable().optional(),
    city: text(128).nullable().optional(),
    note: text(2000).nullable().optional(),
  })
  .strict();
export type UpsertCustomerBody = z.infer<typeof upsertCustomerBody>;

export const patchCustomerBody = upsertCustomerBody.partial().strict().refine((b) => Object.keys(b).length > 0, 'at least one field');
export type PatchCustomerBody = z.infer<typeof patchCustomerBody>;

export const customerListQuery = z.object({ q: text(64).optional().describe('Name or phone, partial'), ...pageQuery }).strict();
export type CustomerListQuery = z.infer<typeof customerListQuery>;

export const customer = z.object({
  id: z.number().int(),
  name: z.string(),
  phone: z.string().nullable(),
  phone_normalized: z.string().nullable(),
  email: z.string().nullable(),
  street: z.string().nullable(),
  city: z.string().nullable(),
  note: z.string().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});
export const upsertResult = customer.extend({ created: z.boolean() });
export const customerPage = pageOf(customer);
export const vehicleList = z.object({ items: z.array(vehicle) });
