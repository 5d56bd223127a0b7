/**
 * The Odoo 17 mock server on node:http: /xmlrpc/2/{common,object,db}, /jsonrpc, /web/health, in-memory and seeded.
 * Faults are shaped as odoo/addons/base/controllers/rpc.py (XML-RPC) and odoo/http.py (JSON-RPC) shape them.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  decodeMethodCall,
  encodeFault,
  encodeMethodResponse,
  XmlRpcMarshalError,
  type XmlRpcValue,
} from '../../bff/src/integrations/odoo/xmlrpc-codec';
import { AccessDenied, formatTraceback, PsycopgError, PyError, PyException, pyRepr, valueError, xmlrpcFaultCode } from './errors';
import { MODELS } from './models';
import { callKw, Orm, type Env, type Snapshot } from './orm/orm';
import { seed } from './seed';

export const VERSION_INFO = {
  server_version: '17.0-20240709',
  server_version_info: [17, 0, 0, 'final', 0, ''],
  server_serie: '17.0',
  protocol_version: 1,
};

/** Handle for tests: the ORM plus helpers to act as a user. */
export interface OdooMockOrm {
  orm: Orm;
  /** a superuser environment (no access checks) */
  sudo(): Env;
  /** an environment acting as `login` */
  as(login: string, context?: Record<string, unknown>): Env;
  /** uid of a login */
  uid(login: string): number;
  /** execute_kw as a user, in one transaction (rolled back on error), like the RPC endpoints */
  executeKw(uid: number, model: string, method: string, args?: unknown[], kwargs?: Record<string, unknown>): unknown;
}

export interface OdooMock {
  url: string;
  port: number;
  db: string;
  close(): Promise<void>;
  /** back to the seed */
  reset(): void;
  /** simulate Odoo down: every connection is reset at once until resume() */
  pause(): void;
  resume(): void;
  /** answer every RPC `ms` late, after it has committed (a reply lost to a client timeout, deterministically); 0 = off */
  delayReplies(ms: number): void;
  orm: OdooMockOrm;
}

export interface OdooMockOptions {
  port?: number;
  host?: string;
  /** seed the demo shop (default true) */
  seed?: boolean;
  db?: string;
  /**
   * Odoo's `proxy_mode` (on in docker-compose): with an X-Forwarded-Host header, the last X-Forwarded-For entry is
   * the request's remote address (werkzeug ProxyFix, x_for=1). Default true.
   */
  proxyMode?: boolean;
  /** `base.login_cooldown_after` / `base.login_cooldown_duration` (Odoo's defaults 5 and 60 s; after 0 = off). */
  loginCooldown?: { after: number; seconds: number };
}

const READ_ONLY_METHODS = new Set(['search', 'search_read', 'read', 'search_count', 'read_group', 'fields_get', 'name_search', 'exists', 'web_read', 'web_search_read']);

export class OdooService {
  private baseline: Snapshot;
  /** see OdooMock.delayReplies */
  replyDelayMs = 0;
  /** The remote address of the request being dispatched (request.httprequest.remote_addr); set by the HTTP handler. */
  remoteAddr?: string;
  loginCooldown = { after: 5, seconds: 60 };
  /** registry._login_failures: per source address, (failures since the last success, time of the last one) */
  private readonly loginFailures = new Map<string, { failures: number; last: number }>();

  constructor(
    readonly orm: Orm,
    readonly db: string,
  ) {
    this.baseline = orm.snapshot();
  }

  reset(): void {
    this.orm.restore(this.baseline);
  }

  private checkDb(db: unknown): void {
    if (db !== this.db) {
      throw new PsycopgError(`connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "${String(db)}" does not exist\n`);
    }
  }

  /** res.users.authenticate: uid or AccessDenied */
  private login(login: unknown, password: unknown): number {
    if (!password) throw new AccessDenied();
    const users = this.orm.sudoEnv().model('res.users');
    const [uid] = users._search([['login', '=', login]], { limit: 1 });
    if (uid === undefined || this.orm.passwords.get(uid) !== password) throw new AccessDenied();
    return uid;
  }

  /**
   * res.users._assert_can_auth around _login: failures are counted per source address, and after `after` of them
   * every login from that address is refused for `seconds` after the last one; a success forgets the address. (Odoo
   * also wraps `check`, but caches its success per (uid, password): the integration user never meets it here.)
   */
  private assertCanAuth<T>(fn: () => T): T {
    const source = this.remoteAddr;
    if (source === undefined) return fn(); // "needs request for remote address"
    const { failures, last } = this.loginFailures.get(source) ?? { failures: 0, last: 0 };
    const { after, seconds } = this.loginCooldown;
    if (after > 0 && failures >= after && Date.now() - last < seconds * 1000) throw new AccessDenied('Too many login failures, please wait a bit before trying again.');
    try {
      const out = fn();
      this.loginFailures.delete(source);
      return out;
    } catch (e) {
      if (e instanceof AccessDenied) this.loginFailures.set(source, { failures: (this.loginFailures.get(source)?.failures ?? 0) + 1, last: Date.now() });
      throw e;
    }
  }

  /** res.users.check */
  private check(uid: number, password: unknown): void {
    if (!password) throw new AccessDenied();
    const user = this.orm.table('res.users').rows.get(uid);
    if (!user || user.active === false || this.orm.passwords.get(uid) !== password) throw new AccessDenied();
  }

  /** odoo.http.dispatch_rpc */
  dispatch(service: unknown, method: unknown, params: unknown[]): unknown {
    if (service === 'common') return this.common(String(method), params);
    if (service === 'object') return this.object(String(method), params);
    if (service === 'db') {
      if (method === 'list') return [this.db];
      if (method === 'server_version') return VERSION_INFO.server_version;
      throw new PyError('KeyError', String(method));
    }
    throw new PyError('KeyError', String(service));
  }

  private common(method: string, params: unknown[]): unknown {
    switch (method) {
      case 'version':
        return VERSION_INFO;
      case 'login':
      case 'authenticate': {
        const want = method === 'login' ? 3 : 4;
        if (params.length !== want) {
          throw new PyError('TypeError', `exp_${method}() takes ${want} positional arguments but ${params.length} were given`);
        }
        this.checkDb(params[0]);
        try {
          return this.assertCanAuth(() => this.login(params[1], params[2]));
        } catch (e) {
          if (e instanceof AccessDenied) return false;
          throw e;
        }
      }
      case 'about':
        return 'See http://openerp.com';
      default:
        throw new PyError('Exception', `Method not found: ${method}`);
    }
  }

  private object(method: string, params: unknown[]): unknown {
    const [db, rawUid, password] = params;
    const uid = toInt(rawUid);
    this.checkDb(db);
    this.check(uid, password);
    let model: unknown;
    let meth: unknown;
    let args: unknown;
    let kwargs: unknown = {};
    if (method === 'execute_kw') {
      if (params.length < 6) throw new PyError('TypeError', `execute_kw() missing ${6 - params.length} required positional argument${6 - params.length > 1 ? 's' : ''}`);
      [, , , model, meth, args] = params;
      kwargs = params[6] ?? {};
      if (!Array.isArray(args)) throw new PyError('TypeError', `odoo.service.model.execute() argument after * must be an iterable, not ${pyTypeName(args)}`);
      if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
        throw new PyError('TypeError', `odoo.service.model.execute() argument after ** must be a mapping, not ${pyTypeName(kwargs)}`);
      }
    } else if (method === 'execute') {
      [, , , model, meth] = params;
      args = params.slice(5);
    } else throw new PyError('NameError', `Method not available ${method}`);
    return this.execute(uid, String(model), String(meth), args as unknown[], kwargs as Record<string, unknown>);
  }

  /** one transaction: everything or nothing, like the cursor of execute_kw (copy-on-write: Orm.transaction) */
  execute(uid: number, model: string, method: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
    const env = this.orm.env(uid, {});
    if (READ_ONLY_METHODS.has(method)) return callKw(env, model, method, args, kwargs);
    return this.orm.transaction(() => callKw(env, model, method, args, kwargs));
  }
}

function toInt(v: unknown): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return Number(v);
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number.parseInt(v, 10);
  if (v === null || v === undefined) throw new PyError('TypeError', "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
  throw valueError(`invalid literal for int() with base 10: ${pyRepr(v)}`);
}

function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  return Array.isArray(v) ? 'list' : 'dict';
}

/** Anything the mock throws that is not a modelled Python exception is an internal bug: report it as Odoo would a crash. */
function asPy(e: unknown): PyException {
  if (e instanceof PyException) return e;
  if (e instanceof XmlRpcMarshalError) return new PyError(e.pyType, e.message);
  return new PyError('Exception', e instanceof Error ? e.message : String(e));
}

const NOT_FOUND_HTML =
  '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n';
const METHOD_NOT_ALLOWED_HTML =
  '<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n';

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': buf.length, Server: 'Werkzeug/2.0.2 Python/3.11.2 (odoo mock)' });
  res.end(buf);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function handleXmlRpc(service: OdooService, name: string, body: Buffer): string {
  let where: { model?: string; method?: string; transport: 'xmlrpc' } = { transport: 'xmlrpc' };
  try {
    const { method, params } = decodeMethodCall(body);
    if (name === 'object' && method === 'execute_kw') where = { model: String(params[3]), method: String(params[4]), transport: 'xmlrpc' };
    const result = service.dispatch(name, method, params);
    // rpc.py: xmlrpc.client.dumps((result,), methodresponse=1, allow_none=False)
    return encodeMethodResponse(result as XmlRpcValue);
  } catch (e) {
    const py = asPy(e);
    const code = xmlrpcFaultCode(py);
    return encodeFault(code, code === 1 ? formatTraceback(py, where) : py.pyStr);
  }
}

function handleJsonRpc(service: OdooService, body: Buffer): { status: number; type: string; body: string } {
  let request: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('not an object');
    request = parsed as Record<string, unknown>;
  } catch {
    return { status: 400, type: 'text/html; charset=utf-8', body: 'Invalid JSON data' };
  }
  const id = request.id ?? null;
  const params = (request.params && typeof request.params === 'object' ? request.params : {}) as Record<string, unknown>;
  let where: { model?: string; method?: string } = {};
  try {
    for (const k of ['service', 'method', 'args']) {
      if (!(k in params)) throw new PyError('TypeError', `RPC.jsonrpc() missing 1 required positional argument: '${k}'`);
    }
    const args = Array.isArray(params.args) ? params.args : [];
    if (params.service === 'object' && params.method === 'execute_kw') where = { model: String(args[3]), method: String(args[4]) };
    const result = service.dispatch(params.service, params.method, args);
    const response: Record<string, unknown> = { jsonrpc: '2.0', id };
    // http.py _response: a None result leaves out the "result" key
    if (result !== null && result !== undefined) response.result = result;
    return { status: 200, type: 'application/json; charset=utf-8', body: JSON.stringify(response) };
  } catch (e) {
    const py = asPy(e);
    const error = {
      code: 200,
      message: 'Odoo Server Error',
      data: {
        name: py.pyClass,
        debug: formatTraceback(py, where),
        message: py.pyStr,
        arguments: py.pyArgs,
        context: {},
      },
    };
    return { status: 200, type: 'application/json; charset=utf-8', body: JSON.stringify({ jsonrpc: '2.0', id, error }) };
  }
}

export function createOdooHandler(service: OdooService, opts: { proxyMode?: boolean } = {}): http.RequestListener {
  const proxyMode = opts.proxyMode ?? true;
  const remoteAddr = (req: http.IncomingMessage): string | undefined => {
    const xff = req.headers['x-forwarded-for'];
    if (proxyMode && req.headers['x-forwarded-host'] && typeof xff === 'string' && xff.trim()) return xff.split(',').at(-1)!.trim();
    return req.socket.remoteAddress;
  };
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const xmlrpc = /^\/xmlrpc\/2\/([^/]+)$/.exec(path);
    const isJson = path === '/jsonrpc';
    if (path === '/web/health') {
      send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ status: 'pass' }));
      return;
    }
    if (!xmlrpc && !isJson) {
      send(res, 404, 'text/html; charset=utf-8', NOT_FOUND_HTML);
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      send(res, 405, 'text/html; charset=utf-8', METHOD_NOT_ALLOWED_HTML);
      return;
    }
    readBody(req).then(
      (body) => {
        // the call runs (and commits) now; only its answer waits (and is dropped if the client gives up first)
        const reply = (status: number, type: string, text: string): void => {
          if (service.replyDelayMs <= 0) return send(res, status, type, text);
          const timer = setTimeout(() => send(res, status, type, text), service.replyDelayMs);
          timer.unref();
          res.on('close', () => clearTimeout(timer));
        };
        // dispatch is synchronous: the address stays the one of this request for the whole call
        service.remoteAddr = remoteAddr(req);
        if (xmlrpc) {
          reply(200, 'text/xml; charset=utf-8', handleXmlRpc(service, xmlrpc[1]!, body));
          return;
        }
        const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (ct !== 'application/json' && ct !== 'application/json-rpc') {
          send(res, 400, 'text/html; charset=utf-8', "<p>Function declared as capable of handling request of type 'json' but called with a request of type 'http'</p>");
          return;
        }
        const out = handleJsonRpc(service, body);
        reply(out.status, out.type, out.body);
      },
      () => res.destroy(),
    );
  };
}

export function createOrm(withSeed = true): Orm {
  const orm = new Orm(MODELS);
  if (withSeed) seed(orm);
  return orm;
}

export async function startOdooMock(opts: OdooMockOptions = {}): Promise<OdooMock> {
  const db = opts.db ?? 'drmoto';
  const host = opts.host ?? '127.0.0.1';
  const orm = createOrm(opts.seed !== false);
  const service = new OdooService(orm, db);
  if (opts.loginCooldown) service.loginCooldown = opts.loginCooldown;
  const server = http.createServer({ keepAlive: true }, createOdooHandler(service, { proxyMode: opts.proxyMode }));
  server.keepAliveTimeout = 5000;
  const sockets = new Set<Socket>();
  let paused = false;
  server.on('connection', (socket: Socket) => {
    if (paused) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const uidOf = (login: string): number => {
    const [uid] = orm.sudoEnv({ active_test: false }).model('res.users')._search([['login', '=', login]], { limit: 1 });
    if (uid === undefined) throw new Error(`no user ${login}`);
    return uid;
  };
  return {
    url: `http://${urlHost}:${port}`,
    port,
    db,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const s of sockets) s.destroy();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
    reset: () => service.reset(),
    pause: () => {
      paused = true;
      for (const s of sockets) s.destroy();
    },
    resume: () => {
      paused = false;
    },
    delayReplies: (ms) => {
      service.replyDelayMs = Math.max(0, ms);
    },
    orm: {
      orm,
      sudo: () => orm.sudoEnv(),
      as: (login, context = {}) => orm.env(uidOf(login), context),
      uid: uidOf,
      executeKw: (uid, model, method, args = [], kwargs = {}) => service.execute(uid, model, method, args, kwargs),
    },
  };
}
