import http from 'node:http';
import https from 'node:https';
import { decodeMethodResponse, encodeMethodCall, type XmlRpcValue } from './xmlrpc-codec';
import { faultKind, faultToAppError, OdooUnavailableError, type RawFault } from './errors';
import type { Metrics } from '../../metrics/metrics';

export type OdooService = 'common' | 'object';

export interface OdooTransport {
  readonly name: 'jsonrpc' | 'xmlrpc';
  /** `headers` are extra HTTP headers of this one request (e.g. the client address forwarded with a staff login). */
  call(service: OdooService, method: string, args: unknown[], timeoutMs: number, headers?: Record<string, string>): Promise<unknown>;
  close(): void;
}

/** One keep-alive agent per transport: Odoo's per-request TCP + auth handshake is the dominant cost otherwise. */
function agentFor(url: URL, maxSockets: number): http.Agent {
  const opts = { keepAlive: true, keepAliveMsecs: 10_000, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
  return url.protocol === 'https:' ? new https.Agent(opts) : new http.Agent(opts);
}

interface HttpResult {
  status: number;
  body: string;
}

function post(url: URL, agent: http.Agent, body: string, contentType: string, timeoutMs: number, extraHeaders: Record<string, string> = {}): Promise<HttpResult> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...extraHeaders, 'content-type': contentType, 'content-length': Buffer.byteLength(body), accept: contentType },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(new OdooUnavailableError('connection', 'The connection to Odoo broke.', e));
        });
      },
    );
    // A total deadline, not an idle timeout: Odoo may hold a request while it retries serialization failures.
    const timer = setTimeout(() => {
      req.destroy(new OdooUnavailableError('timeout', `Odoo did not answer within ${timeoutMs} ms.`));
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e instanceof OdooUnavailableError ? e : new OdooUnavailableError('connection', 'Odoo is unreachable.', e));
    });
    req.end(body);
  });
}

export class JsonRpcTransport implements OdooTransport {
  readonly name = 'jsonrpc' as const;
  private readonly url: URL;
  private readonly agent: http.Agent;
  private seq = 0;

  constructor(baseUrl: string, maxSockets: number) {
    this.url = new URL('/jsonrpc', baseUrl);
    this.agent = agentFor(this.url, maxSockets);
  }

  async call(service: OdooService, method: string, args: unknown[], timeoutMs: number, headers?: Record<string, string>): Promise<unknown> {
    const id = ++this.seq;
    const res = await post(this.url, this.agent, JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id }), 'application/json', timeoutMs, headers);
    if (res.status >= 500 || res.status === 0) throw new OdooUnavailableError('http', `Odoo answered HTTP ${res.status}.`);
    let payload: { result?: unknown; error?: { data?: { name?: string; message?: string }; message?: string } };
    try {
      payload = JSON.parse(res.body);
    } catch {
      throw new OdooUnavailableError('http', `Odoo answered HTTP ${res.status} without JSON.`);
    }
    if (payload.error) {
      const fault: RawFault = { transport: 'jsonrpc', name: payload.error.data?.name, message: payload.error.data?.message ?? payload.error.message ?? '' };
      throw faultToAppError(fault);
    }
    // A method returning None commits but has no `result` key: treat as `false` (our addon never does this).
    return 'result' in payload ? payload.result : false;
  }

  close(): void {
    this.agent.destroy();
  }
}

export class XmlRpcTransport implements OdooTransport {
  readonly name = 'xmlrpc' as const;
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(baseUrl: string, maxSockets: number) {
    this.base = new URL(baseUrl);
    this.agent = agentFor(this.base, maxSockets);
  }

  async call(service: OdooService, method: string, args: unknown[], timeoutMs: number, headers?: Record<string, string>): Promise<unknown> {
    const url = new URL(`/xmlrpc/2/${service}`, this.base);
    const res = await post(url, this.agent, encodeMethodCall(method, args as XmlRpcValue[]), 'text/xml', timeoutMs, headers);
    if (res.status >= 500 || res.status === 0) throw new OdooUnavailableError('http', `Odoo answered HTTP ${res.status}.`);
    let decoded: ReturnType<typeof decodeMethodResponse>;
    try {
      decoded = decodeMethodResponse(res.body);
    } catch {
      throw new OdooUnavailableError('http', `Odoo answered HTTP ${res.status} without XML-RPC.`);
    }
    if (!decoded.ok) throw faultToAppError({ transport: 'xmlrpc', faultCode: Number(decoded.faultCode), message: decoded.faultString });
    return decoded.value;
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Times every request to Odoo and counts its faults, by model and method (`common` for login and version calls).
 * Model and method names come from the gateways' code, never from a request. Each retry is a request of its own.
 */
export class MeteredTransport implements OdooTransport {
  constructor(
    private readonly inner: OdooTransport,
    private readonly metrics: Pick<Metrics, 'odooCall'>,
  ) {}

  get name(): 'jsonrpc' | 'xmlrpc' {
    return this.inner.name;
  }

  async call(service: OdooService, method: string, args: unknown[], timeoutMs: number): Promise<unknown> {
    // execute_kw's arguments: db, uid, password, model, method, args, kwargs.
    const [model, modelMethod] = service === 'object' && method === 'execute_kw' ? [String(args[3]), String(args[4])] : ['common', method];
    const started = process.hrtime.bigint();
    try {
      const result = await this.inner.call(service, method, args, timeoutMs);
      this.metrics.odooCall(model, modelMethod, seconds(started));
      return result;
    } catch (e) {
      this.metrics.odooCall(model, modelMethod, seconds(started), faultKind(e));
      throw e;
    }
  }

  close(): void {
    this.inner.close();
  }
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
