import type { Principal, StaffRole } from '../domain/principal';
import { AppError } from '../errors';
import type { PartLine, PartRowFull, PartsGateway, PickingRow } from '../integrations/odoo/parts';
import type { WorkOrderGateway } from '../integrations/odoo/work-orders';

export interface PostedPicking {
  work_order_id: number;
  picking: { id: number; name: string; state: string };
  lines: PartLine[];
  replayed: boolean;
}

/** Parts requests (technician), issue and return (keeper) — inventory truth stays Odoo's done moves. */
export class PartsService {
  constructor(
    private readonly parts: PartsGateway,
    private readonly wos: WorkOrderGateway,
  ) {}

  async request(p: Principal, woId: number, lines: PartLine[], requestKey: string): Promise<{ items: PartRowFull[] }> {
    this.assertRole(p, ['technician', 'advisor'], 'request parts');
    await this.parts.request(woId, requestKey, merge(lines));
    return { items: await this.parts.parts(woId) };
  }

  async issue(p: Principal, woId: number, lines: PartLine[], requestKey: string): Promise<PostedPicking> {
    this.assertRole(p, ['keeper'], 'issue parts');
    return this.posted(woId, await this.parts.issue(woId, requestKey, merge(lines)));
  }

  async giveBack(p: Principal, woId: number, lines: PartLine[], requestKey: string): Promise<PostedPicking> {
    this.assertRole(p, ['keeper'], 'return parts');
    return this.posted(woId, await this.parts.giveBack(woId, requestKey, merge(lines)));
  }

  async list(p: Principal, woId: number): Promise<{ items: PartRowFull[]; pickings: PickingRow[] }> {
    const wo = await this.wos.get(woId);
    if (!wo || (p.kind === 'customer' && wo.partner?.id !== p.partnerId)) throw new AppError('not_found', `Work order ${woId} not found.`);
    const [items, pickings] = await Promise.all([this.parts.parts(woId), this.parts.pickings(woId)]);
    return { items, pickings };
  }

  private posted(woId: number, r: { picking_id: number; picking_name: string; state: string; replayed: boolean; lines: PartLine[] }): PostedPicking {
    return { work_order_id: woId, picking: { id: r.picking_id, name: r.picking_name, state: r.state }, lines: r.lines, replayed: r.replayed === true };
  }

  private assertRole(p: Principal, roles: readonly StaffRole[], what: string): void {
    if (p.kind !== 'staff') throw new AppError('forbidden', `Only staff may ${what}.`);
    if (!p.roles.includes('manager') && !p.roles.some((r) => roles.includes(r))) throw new AppError('forbidden', `To ${what} you need one of the roles: ${roles.join(', ')}.`);
  }
}

/** One line per product (a double entry in a request is summed, as the addon does). */
function merge(lines: PartLine[]): PartLine[] {
  const by = new Map<number, number>();
  for (const l of lines) by.set(l.product_id, Math.round(((by.get(l.product_id) ?? 0) + l.qty) * 1000) / 1000);
  return [...by].map(([product_id, qty]) => ({ product_id, qty }));
}
