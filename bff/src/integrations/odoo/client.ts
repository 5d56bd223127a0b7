import { requestContext } from '../../context';
import type { Principal } from '../../domain/principal';
import { AppError, isRefusal } from '../../errors';
import type { Logger } from '../../logger';
import { OdooUnavailableError } from './errors';
import { JsonRpcTransport, XmlRpcTransport, type OdooTransport } from './transport';

export interface OdooConfig {
  url: string;
  db: string;
  user: string;
  password: string;
  transport: 'jsonrpc' | 'xmlrpc';
  timeoutMs: number;
  maxSockets: number;
  readRetries: number;
}

export interface CallOptions {
  /**
   * Safe to send again after a timeout or a broken connection: reads, and writes the addon
   * deduplicates by request key. Odoo may still commit a call we timed out on (it retries
   * serialization failures itself), so a write without a key is never repeated.
   */
  idempotent?: boolean;
  requestKey?: string;
  /** Overrides the principal of the current request (e.g. the system in a job). */
  actor?: Principal;
  context?: Record<string, unknown>;
  timeoutMs?: number;
}

export type OdooActor = { kind: 'staff'; uid: number } | { kind: 'customer'; partner_id: number } | { kind: 'system' };

export function toOdooActor(p: Principal | undefined): OdooActor | undefined {
  if (!p) return undefined;
  if (p.kind === 'staff') return { kind: 'staff', uid: p.uid };
  if (p.kind === 'customer') return p.partnerId ? { kind: 'customer', partner_id: p.partnerId } : undefined;
  return { kind: 'system' };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The only code that talks to Odoo. Calls go through one keep-alive transport as the integration
 * user; who really acts, the trace id and the request key travel in the call context.
 */
export class OdooClient {
  private readonly transport: OdooTransport;
  private uidPromise?: Promise<number>;

  constructor(
    private readonly cfg: OdooConfig,
    private readonly logger: Logger,
  ) {
    this.transport =
      cfg.transport === 'xmlrpc' ? new XmlRpcTransport(cfg.url, cfg.maxSockets) : new JsonRpcTransport(cfg.url, cfg.maxSockets);
  }

  get transportName(): 'jsonrpc' | 'xmlrpc' {
    return this.transport.name;
  }

  async version(timeoutMs = this.cfg.timeoutMs): Promise<{ server_version: string; protocol_version: number }> {
    return (await this.transport.call('common', 'version', [], timeoutMs)) as { server_version: string; protocol_version: number };
  }

  /** Checks a user's own credentials (staff login). Returns the uid, or null when Odoo says no. */
  async authenticateUser(login: string, password: string): Promise<number | null> {
    const uid = await this.withRetries(true, this.cfg.timeoutMs, () =>
      this.transport.call('common', 'authenticate', [this.cfg.db, login, password, {}], this.cfg.timeoutMs),
    );
    return typeof uid === 'number' && uid > 0 ? uid : null;
  }

  async ping(timeoutMs = 2000): Promise<void> {
    await this.version(timeoutMs);
    await this.integrationUid();
  }

  private integrationUid(): Promise<number> {
    this.uidPromise ??= this.transport
      .call('common', 'authenticate', [this.cfg.db, this.cfg.user, this.cfg.password, {}], this.cfg.timeoutMs)
      .then((uid) => {
        if (typeof uid !== 'number' || uid <= 0) {
          throw new AppError('dependency_unavailable', 'The BFF could not authenticate with Odoo.', { code: 'ODOO_AUTH', retryAfterS: 30 });
        }
        return uid;
      })
      .catch((e: unknown) => {
        this.uidPromise = undefined;
        throw e;
      });
    return this.uidPromise;
  }

  async execute<T = unknown>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<T> {
    const rc = requestContext.get();
    const actor = toOdooActor(opts.actor ?? rc?.principal);
    const context: Record<string, unknown> = {
      lang: 'en_US',
      ...(kwargs.context as Record<string, unknown> | undefined),
      ...opts.context,
      ...(rc?.traceId ? { drmoto_trace_id: rc.traceId } : {}),
      ...(actor ? { drmoto_actor: actor } : {}),
      ...(opts.requestKey ? { drmoto_request_key: opts.requestKey } : {}),
    };
    const timeoutMs = opts.timeoutMs ?? this.cfg.timeoutMs;
    const idempotent = opts.idempotent ?? false;
    const started = process.hrtime.bigint();
    try {
      const result = await this.withRetries(idempotent, timeoutMs, async () => {
        const uid = await this.integrationUid();
        try {
          return await this.transport.call('object', 'execute_kw', [this.cfg.db, uid, this.cfg.password, model, method, args, { ...kwargs, context }], timeoutMs);
        } catch (e) {
          // The integration user's password/API key was rotated: authenticate again once.
          if (e instanceof AppError && e.code === 'ODOO_AUTH') this.uidPromise = undefined;
          throw e;
        }
      });
      if (this.logger.isLevelEnabled('debug')) this.logger.debug('odoo call', { model, method, ms: elapsedMs(started) });
      return result as T;
    } catch (e) {
      const level = isRefusal(e) ? 'debug' : 'warn';
      this.logger.log(level, 'odoo call failed', { model, method, ms: elapsedMs(started), code: e instanceof AppError ? e.code : undefined, error: e instanceof Error ? e.message : String(e) });
      throw e;
    }
  }

  /** Reads: search_read with Odoo's own shapes. */
  searchRead<T>(model: string, domain: unknown[], fields: string[], opts: { offset?: number; limit?: number; order?: string; context?: Record<string, unknown> } = {}): Promise<T[]> {
    const { context, ...rest } = opts;
    return this.execute<T[]>(model, 'search_read', [domain], { fields, ...rest }, { idempotent: true, context });
  }

  /** A page of records and the total: the two reads run in parallel (one round trip of latency). */
  async searchPage<T>(model: string, domain: unknown[], fields: string[], page: { offset: number; limit: number; order: string }): Promise<{ rows: T[]; total: number }> {
    const [rows, total] = await Promise.all([this.searchRead<T>(model, domain, fields, page), this.searchCount(model, domain)]);
    return { rows, total };
  }

  searchCount(model: string, domain: unknown[], context?: Record<string, unknown>): Promise<number> {
    return this.execute<number>(model, 'search_count', [domain], {}, { idempotent: true, context });
  }

  private async withRetries<T>(idempotent: boolean, _timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    const tries = idempotent ? this.cfg.readRetries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof OdooUnavailableError) || attempt >= tries) throw e;
        await sleep(Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
  }

  close(): void {
    this.transport.close();
  }
}

function elapsedMs(start: bigint): number {
  return Number((process.hrtime.bigint() - start) / 10_000n) / 100;
}
