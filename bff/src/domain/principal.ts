export const STAFF_ROLES = ['advisor', 'technician', 'keeper', 'cashier', 'manager'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** Who acts: a staff user (Odoo uid), a customer (identity, and partner once the phone is bound), or the system. */
export type Principal =
  | { kind: 'staff'; uid: number; name: string; roles: StaffRole[]; companyId: number }
  | { kind: 'customer'; identityId: number; partnerId: number | null }
  | { kind: 'system' };

export function principalKey(p: Principal): string {
  switch (p.kind) {
    case 'staff':
      return `staff:${p.uid}`;
    case 'customer':
      return `customer:${p.identityId}`;
    case 'system':
      return 'system';
  }
}
