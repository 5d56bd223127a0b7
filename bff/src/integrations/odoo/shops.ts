import type { OdooClient } from './client';
import { m2oId, str } from './shapes';

export interface Shop {
  id: number;
  name: string;
  tz: string;
  currency: { code: string; decimals: number };
}

/** Shops (companies) change rarely: cached for a few minutes per process. */
export class ShopGateway {
  private readonly cache = new Map<number, { at: number; shop: Promise<Shop> }>();
  private defaultId?: Promise<number>;

  constructor(
    private readonly odoo: OdooClient,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  get(companyId: number): Promise<Shop> {
    const hit = this.cache.get(companyId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.shop;
    const shop = this.load(companyId);
    this.cache.set(companyId, { at: Date.now(), shop });
    shop.catch(() => this.cache.delete(companyId));
    return shop;
  }

  /** The integration user's company: the shop of customers who reach us through the mini-program. */
  async defaultShop(): Promise<Shop> {
    this.defaultId ??= this.odoo
      .searchRead<Record<string, unknown>>('res.company', [], ['id'], { limit: 1, order: 'sequence asc, id asc' })
      .then((rows) => rows[0]?.id as number)
      .catch((e: unknown) => {
        this.defaultId = undefined;
        throw e;
      });
    return this.get(await this.defaultId);
  }

  private async load(companyId: number): Promise<Shop> {
    const [c] = await this.odoo.searchRead<Record<string, unknown>>('res.company', [['id', '=', companyId]], ['name', 'drmoto_tz', 'currency_id']);
    if (!c) throw new Error(`company ${companyId} not found`);
    const currencyId = m2oId(c.currency_id);
    const [cur] = await this.odoo.searchRead<Record<string, unknown>>('res.currency', [['id', '=', currencyId]], ['name', 'decimal_places'], { context: { active_test: false } });
    return {
      id: companyId,
      name: str(c.name) ?? '',
      tz: str(c.drmoto_tz) ?? 'Asia/Shanghai',
      currency: { code: str(cur?.name) ?? 'CNY', decimals: typeof cur?.decimal_places === 'number' ? cur.decimal_places : 2 },
    };
  }
}
