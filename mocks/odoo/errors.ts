/**
 * Python exceptions as Odoo 17 raises them. The transports turn them into faults exactly like
 * odoo/addons/base/controllers/rpc.py (XML-RPC) and odoo/http.py serialize_exception (JSON-RPC).
 */

/** Base of everything the mock raises "inside Odoo"; `pyClass` is `module.Name` as in JSON-RPC `error.data.name`. */
export class PyException extends Error {
  constructor(
    readonly pyClass: string,
    message: string,
    /** Python's `exc.args` (JSON-RPC `error.data.arguments`). */
    readonly pyArgs: unknown[] = [message],
  ) {
    super(message);
    this.name = pyClass.split('.').pop() ?? pyClass;
  }

  /** `str(exc)`. KeyError is the odd one: str(KeyError('x')) == "'x'". */
  get pyStr(): string {
    return this.message;
  }
}

export class UserError extends PyException {
  constructor(message: string, pyClass = 'odoo.exceptions.UserError') {
    super(pyClass, message);
  }
}
export class ValidationError extends UserError {
  constructor(message: string) {
    super(message, 'odoo.exceptions.ValidationError');
  }
}
export class MissingError extends UserError {
  constructor(message: string) {
    super(message, 'odoo.exceptions.MissingError');
  }
}
export class AccessError extends UserError {
  constructor(message: string) {
    super(message, 'odoo.exceptions.AccessError');
  }
}
/** Bad login/password; Odoo subclasses UserError but XML-RPC gives it its own fault code 3. */
export class AccessDenied extends UserError {
  constructor(message = 'Access Denied') {
    super(message, 'odoo.exceptions.AccessDenied');
  }
}

/** Any non-Odoo Python exception (ValueError, KeyError, TypeError…): XML-RPC fault code 1 with a traceback. */
export class PyError extends PyException {
  constructor(type: 'ValueError' | 'KeyError' | 'TypeError' | 'AttributeError' | 'NameError' | 'AssertionError' | 'IndexError' | 'OverflowError' | 'Exception', message: string) {
    super(`builtins.${type}`, message);
  }
  override get pyStr(): string {
    return this.pyClass === 'builtins.KeyError' ? pyRepr(this.message) : this.message;
  }
}

export const valueError = (msg: string): PyError => new PyError('ValueError', msg);

/** psycopg2.OperationalError, e.g. an unknown database. */
export class PsycopgError extends PyException {
  constructor(message: string) {
    super('psycopg2.OperationalError', message);
  }
}

/** XML-RPC fault codes of /xmlrpc/2/ (rpc.py xmlrpc_handle_exception_int). */
export function xmlrpcFaultCode(e: PyException): number {
  if (e instanceof AccessError) return 4;
  if (e instanceof AccessDenied) return 3;
  if (e instanceof UserError) return 2;
  return 1;
}

/** What `traceback.format_exception` prints; the frames are representative, the last line is exact. */
export function formatTraceback(e: PyException, where: { model?: string; method?: string; transport?: 'xmlrpc' | 'jsonrpc' } = {}): string {
  const exName = e.pyClass.startsWith('builtins.') ? e.pyClass.slice('builtins.'.length) : e.pyClass;
  const first: [string, number, string, string] =
    where.transport === 'xmlrpc'
      ? ['/usr/lib/python3/dist-packages/odoo/addons/base/controllers/rpc.py', 147, 'xmlrpc_2', 'response = self._xmlrpc(service)']
      : ['/usr/lib/python3/dist-packages/odoo/http.py', 1764, '_serve_db', 'return service_model.retrying(self._serve_ir_http, self.env)'];
  const frames = [
    first,
    ['/usr/lib/python3/dist-packages/odoo/service/model.py', 133, 'retrying', 'result = func()'],
    ['/usr/lib/python3/dist-packages/odoo/service/model.py', 74, 'execute_cr', 'result = retrying(partial(odoo.api.call_kw, recs, method, args, kw), env)'],
    ['/usr/lib/python3/dist-packages/odoo/api.py', 468, 'call_kw', 'result = _call_kw_model(method, model, args, kwargs)'],
    ['/usr/lib/python3/dist-packages/odoo/models.py', 1, where.method ?? 'method', `# ${where.model ?? 'model'} (odoo mock)`],
  ];
  const body = frames.map(([file, line, fn, code]) => `  File "${file}", line ${line}, in ${fn}\n    ${code}\n`).join('');
  const msg = e.pyStr;
  return `Traceback (most recent call last):\n${body}${exName}${msg === '' ? '' : `: ${msg}`}\n`;
}

/** Python's repr() of JSON-ish values, for error messages that quote domains, fields and values. */
export function pyRepr(v: unknown, asTuple = false): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t')
      .replace(new RegExp(q, 'g'), `\\${q}`);
    return `${q}${body}${q}`;
  }
  if (Array.isArray(v)) {
    const inner = v.map((x) => pyRepr(x)).join(', ');
    if (asTuple) return v.length === 1 ? `(${inner},)` : `(${inner})`;
    return `[${inner}]`;
  }
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}
