import { toMinor } from '../domain/money';
import type { Principal } from '../domain/principal';
import { AppError } from '../errors';
import type { Shop, ShopGateway } from '../integrations/odoo/shops';
import type { WoRow, WorkOrderGateway } from '../integrations/odoo/work-orders';
import type { Db } from '../store/db';
import type { LedgerRepository } from '../store/ledger';
import type { RefundRequestRepository } from '../store/refund-requests';

export interface WorkOrderBalance {
  /** Latest confirmed total (minor units). */
  total: number;
  /** Credit parts of completed refunds: total − credited is the net price. */
  credited: number;
  /** Charges less refunds and reversals in the ledger. */
  netPaid: number;
  /** Refunded (positive). */
  refunded: number;
  /** total − credited − netPaid; < 0 when the shop holds more than the price. */
  due: number;
  currency: string;
}

/** A work order visible to the principal, its shop and its latest confirmed total in minor units. */
export interface WorkOrderMoney {
  wo: WoRow;
  shop: Shop;
  total: number;
}

/**
 * What a work order costs and what the ledger holds for it, for every channel (WeChat, Stripe, counter, refunds,
 * suspense): the price from Odoo (latest confirmed total), the money from the ledger — never from a client. Reads
 * only; the channel services decide under the work order's lock with `balance(…, tx)`.
 */
export class BalanceService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Pick<LedgerRepository, 'workOrderTotals'>,
    private readonly refunds: Pick<RefundRequestRepository, 'credited'>,
    private readonly wos: Pick<WorkOrderGateway, 'get'>,
    private readonly shops: Pick<ShopGateway, 'get' | 'defaultShop'>,
  ) {}

  /** A work order visible to the principal, its shop and its latest confirmed total (minor units), in any state. */
  async workOrderMoney(workOrderId: number, p: Principal): Promise<WorkOrderMoney> {
    const wo = await this.wos.get(workOrderId);
    if (!wo || (p.kind === 'customer' && wo.partner?.id !== p.partnerId)) throw new AppError('not_found', `Work order ${workOrderId} not found.`);
    const shop = await this.shops.get(wo.company_id ?? (await this.shops.defaultShop()).id);
    return { wo, shop, total: toMinor(wo.amounts.total, shop.currency.decimals) };
  }

  /** A work order money can be taken for: visible to the principal, not draft or cancelled, with a confirmed total. */
  async payable(workOrderId: number, p: Principal): Promise<WorkOrderMoney> {
    const { wo, shop, total } = await this.workOrderMoney(workOrderId, p);
    if (wo.state === 'cancelled' || wo.state === 'draft') throw new AppError('conflict', `Work order ${wo.name} is ${wo.state}; nothing can be paid.`, { code: 'NOT_PAYABLE' });
    if (total <= 0) throw new AppError('conflict', `Work order ${wo.name} has no confirmed quote to pay.`, { code: 'NOT_PAYABLE' });
    return { wo, shop, total };
  }

  /**
   * The balance of a work order by the ledger (docs/odoo-contract.md "What a refund means"): net price = latest
   * confirmed total − the credit parts of its completed refunds; due = net price − net paid (< 0: money held). Read
   * it inside a transaction that holds the work order's lock when a decision depends on it.
   */
  async balance(workOrderId: number, total: number, currency: string, q: Db = this.db): Promise<WorkOrderBalance> {
    const totals = await this.ledger.workOrderTotals(workOrderId, q);
    const credited = await this.credited(workOrderId, currency, q);
    const t = totals.get(currency);
    const netPaid = Number(t?.netPaid ?? 0n);
    return { total, credited, netPaid, refunded: 0 - Number(t?.refund ?? 0n), due: total - credited - netPaid, currency };
  }

  /** The price-reducing parts of a work order's completed refunds (minor units). */
  credited(workOrderId: number, currency: string, q: Db = this.db): Promise<number> {
    return this.refunds.credited(workOrderId, currency, q);
  }

  /** What the customer owes now: Odoo's latest confirmed total less the ledger's balance; NOTHING_DUE when paid. */
  async amountDue(workOrderId: number, p: Principal): Promise<{ due: number; currency: string; wo: WoRow; shop: Shop }> {
    const { wo, shop, total } = await this.payable(workOrderId, p);
    const { due } = await this.balance(workOrderId, total, shop.currency.code);
    if (due <= 0) throw new AppError('conflict', `Work order ${wo.name} is paid.`, { code: 'NOTHING_DUE' });
    return { due, currency: shop.currency.code, wo, shop };
  }

  /** A cancel is refused while the ledger holds money for the work order (refund it first). */
  async assertNoMoneyHeld(workOrderId: number): Promise<void> {
    for (const [currency, t] of await this.ledger.workOrderTotals(workOrderId)) {
      if (t.netPaid > 0n) throw new AppError('conflict', `The shop holds ${t.netPaid} (minor units, ${currency}) for this work order: refund it first.`, { code: 'DRM_MONEY_HELD' });
    }
  }
}
