import { randomInt } from 'node:crypto';
import { createLogger } from '../../bff/src/logger';
import { requestContext } from '../../bff/src/context';
import type { Principal } from '../../bff/src/domain/principal';
import { AppError } from '../../bff/src/errors';
import { OdooClient, type OdooConfig } from '../../bff/src/integrations/odoo/client';
import type { ActionResult, WorkOrderGateway } from '../../bff/src/integrations/odoo/work-orders';
import { startOdooMock, type OdooMock } from '../odoo/server';

/**
 * The contract suite runs against the mock by default and against a real Odoo when ODOO_URL is set
 * (with ODOO_DB, ODOO_USER, ODOO_PASSWORD of the integration user; staff users of the seed must exist).
 */
export interface Target {
  kind: 'mock' | 'real';
  url: string;
  db: string;
  client(transport: 'jsonrpc' | 'xmlrpc', user?: { login: string; password: string }): OdooClient;
  /** The mock (undefined on a real Odoo), e.g. to hold its replies back so a client times out after the commit. */
  mock?: OdooMock;
  close(): Promise<void>;
}

export async function openTarget(): Promise<Target> {
  let mock: OdooMock | undefined;
  let base: Omit<OdooConfig, 'transport'>;
  if (process.env.ODOO_URL) {
    base = {
      url: process.env.ODOO_URL,
      db: process.env.ODOO_DB ?? 'drmoto',
      user: process.env.ODOO_USER ?? 'bff',
      password: process.env.ODOO_PASSWORD ?? 'bff',
      timeoutMs: 30_000,
      maxSockets: 8,
      readRetries: 1,
    };
  } else {
    mock = await startOdooMock({ port: 0 });
    base = { url: mock.url, db: mock.db, user: 'bff', password: 'bff', timeoutMs: 10_000, maxSockets: 8, readRetries: 1 };
  }
  const logger = createLogger({ silent: true });
  const clients: OdooClient[] = [];
  return {
    kind: mock ? 'mock' : 'real',
    mock,
    url: base.url,
    db: base.db,
    client(transport, user) {
      const c = new OdooClient({ ...base, transport, ...(user ? { user: user.login, password: user.password } : {}) }, logger);
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      await mock?.close();
    },
  };
}

/** Unique data per run, so the suite can run again on the same real database. */
export const unique = {
  phone: () => `139${String(randomInt(0, 99_999_999)).padStart(8, '0')}`,
  plate: () => `粤Z${Array.from({ length: 5 }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'[randomInt(0, 34)]).join('')}`,
  vin: () => Array.from({ length: 17 }, () => 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'[randomInt(0, 33)]).join(''),
  tag: () => `c${Date.now().toString(36)}${randomInt(0, 1e6).toString(36)}`,
};

/** Runs `fn` as `p` (the gateway passes the principal to Odoo as the acting user). */
export const as = <T>(p: Principal, fn: () => Promise<T>): Promise<T> => requestContext.run({ traceId: `contract-${unique.tag()}`, principal: p }, fn);

/** The AppError a call fails with; fails the test when the call succeeds. */
export async function rejected(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

/** Drives one work order through the gateway with a moving revision, as the BFF does. */
export class WorkOrderDriver {
  revision: number;
  constructor(
    private readonly wos: WorkOrderGateway,
    readonly id: number,
    r: ActionResult,
  ) {
    this.revision = r.revision;
  }

  async act(p: Principal, method: string, extra: unknown[] = [], key = 'k-' + unique.tag()): Promise<ActionResult> {
    const r = await as(p, () => this.wos.act(this.id, method, this.revision, key, extra));
    this.revision = r.revision;
    return r;
  }

  /** action_close as the settlement job calls it: no revision (it doesn't know the client's), its own key */
  async close(p: Principal = { kind: 'system' }, key = 'close-' + unique.tag()): Promise<ActionResult> {
    const r = await as(p, () => this.wos.act(this.id, 'action_close', null, key));
    this.revision = r.revision;
    return r;
  }
}

/**
 * A product domain in the target's words (README "Odoo versions"): `storable` is 17's `detailed_type = 'product'`
 * and 18's `is_storable`; `service` is `type = 'service'` on every series.
 */
export async function productDomain(odoo: OdooClient, kind: 'storable' | 'service'): Promise<unknown[]> {
  if (kind === 'service') return [['type', '=', 'service']];
  const fields = await odoo.execute<Record<string, unknown>>('product.product', 'fields_get', [['is_storable']], { attributes: ['type'] }, { idempotent: true });
  return 'is_storable' in fields ? [['is_storable', '=', true]] : [['detailed_type', '=', 'product']];
}
