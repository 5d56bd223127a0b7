import { AppError, type ErrorKind } from '../../errors';
import { faultToAppError, OdooUnavailableError, type RawFault } from './errors';

const cases: [string, RawFault, ErrorKind, string | undefined][] = [
  ['DRM code over JSON-RPC', { transport: 'jsonrpc', name: 'odoo.exceptions.UserError', message: 'DRM_WO_STATE: work order is in state quoted' }, 'conflict', 'DRM_WO_STATE'],
  ['DRM code in a constraint message over XML-RPC', { transport: 'xmlrpc', faultCode: 2, message: 'The operation cannot be completed: DRM_DUP_PLATE: this plate is already registered' }, 'conflict', 'DRM_DUP_PLATE'],
  ['DRM_STALE: the revision moved on (read here only)', { transport: 'xmlrpc', faultCode: 2, message: 'DRM_STALE: work order WO/1 is at revision 3, not 2' }, 'stale', 'DRM_STALE'],
  ['DRM_FORBIDDEN', { transport: 'xmlrpc', faultCode: 2, message: 'DRM_FORBIDDEN: not yours' }, 'forbidden', 'DRM_FORBIDDEN'],
  ['DRM_NOT_FOUND', { transport: 'jsonrpc', name: 'odoo.exceptions.UserError', message: 'DRM_NOT_FOUND: no such vehicle' }, 'not_found', 'DRM_NOT_FOUND'],
  ['DRM validation', { transport: 'jsonrpc', name: 'odoo.exceptions.ValidationError', message: 'DRM_PHONE_INVALID: bad' }, 'unprocessable', 'DRM_PHONE_INVALID'],
  ['MissingError over JSON-RPC', { transport: 'jsonrpc', name: 'odoo.exceptions.MissingError', message: 'Record does not exist or has been deleted.' }, 'not_found', 'ODOO_MISSING'],
  ['MissingError over XML-RPC (code 2, by text)', { transport: 'xmlrpc', faultCode: 2, message: 'Record does not exist or has been deleted.\n(Record: x(9,), User: 2)' }, 'not_found', 'ODOO_MISSING'],
  ['AccessError JSON', { transport: 'jsonrpc', name: 'odoo.exceptions.AccessError', message: 'You are not allowed to access' }, 'forbidden', 'ODOO_ACCESS'],
  ['AccessError XML (code 4)', { transport: 'xmlrpc', faultCode: 4, message: 'You are not allowed to access' }, 'forbidden', 'ODOO_ACCESS'],
  ['AccessDenied XML (code 3)', { transport: 'xmlrpc', faultCode: 3, message: 'Access Denied' }, 'dependency_unavailable', 'ODOO_AUTH'],
  ['plain ValidationError', { transport: 'jsonrpc', name: 'odoo.exceptions.ValidationError', message: 'The operation cannot be completed: x' }, 'unprocessable', 'ODOO_VALIDATION'],
  ['server traceback XML (code 1)', { transport: 'xmlrpc', faultCode: 1, message: 'Traceback (most recent call last):\n ValueError: Invalid field' }, 'upstream_error', 'ODOO_ERROR'],
  ['server error JSON', { transport: 'jsonrpc', name: 'builtins.ValueError', message: "Invalid field 'x'" }, 'upstream_error', 'ODOO_ERROR'],
  ['pool exhausted JSON', { transport: 'jsonrpc', name: 'psycopg2.pool.PoolError', message: 'The Connection Pool Is Full' }, 'dependency_unavailable', 'ODOO_BUSY'],
  ['pool exhausted XML (code 1 traceback)', { transport: 'xmlrpc', faultCode: 1, message: 'Traceback (most recent call last):\n  File "x", line 1\npsycopg2.pool.PoolError: The Connection Pool Is Full\n' }, 'dependency_unavailable', 'ODOO_BUSY'],
  ['serialization failure after Odoo retries', { transport: 'jsonrpc', name: 'psycopg2.errors.SerializationFailure', message: 'could not serialize access due to concurrent update' }, 'dependency_unavailable', 'ODOO_BUSY'],
  ['other psycopg2 errors stay 502', { transport: 'jsonrpc', name: 'psycopg2.errors.UndefinedColumn', message: 'column x does not exist' }, 'upstream_error', 'ODOO_ERROR'],
  ['DRM text inside a traceback is not trusted', { transport: 'xmlrpc', faultCode: 1, message: 'Traceback ... DRM_STALE: x' }, 'upstream_error', 'ODOO_ERROR'],
];

describe(faultToAppError.name, () => {
  it.each(cases)('%s → %p', (_l, fault, kind, code) => {
    const e = faultToAppError(fault);
    expect(e).toBeInstanceOf(AppError);
    expect(e.type).toBe(kind);
    expect(e.code).toBe(code);
    expect(e.message).not.toMatch(/Traceback|DRM_[A-Z]+:/);
  });

  it('a busy Odoo is a retryable unavailability with a short Retry-After', () => {
    const e = faultToAppError({ transport: 'jsonrpc', name: 'psycopg2.pool.PoolError', message: 'The Connection Pool Is Full' });
    expect(e).toBeInstanceOf(OdooUnavailableError);
    expect((e as OdooUnavailableError).reason).toBe('busy');
    expect(e.extra.retryAfterS).toBe(1);
  });

  it('strips the constraint prefix and the code from the human text', () => {
    expect(faultToAppError({ transport: 'xmlrpc', faultCode: 2, message: 'The operation cannot be completed: DRM_DUP_VIN: this VIN is already registered' }).message).toBe('this VIN is already registered');
  });
});
