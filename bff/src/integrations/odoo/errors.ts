import { AppError, type ErrorKind } from '../../errors';

/** Stable codes our addon puts in its messages (docs/odoo-contract.md), and the kind of error each is: the one place they are read. */
export const DRM_CODES: Record<string, ErrorKind> = {
  DRM_PHONE_INVALID: 'unprocessable',
  DRM_PLATE_INVALID: 'unprocessable',
  DRM_VIN_INVALID: 'unprocessable',
  DRM_VALIDATION: 'unprocessable',
  DRM_DUP_PHONE: 'conflict',
  DRM_DUP_PLATE: 'conflict',
  DRM_DUP_VIN: 'conflict',
  DRM_DUP_KEY: 'conflict',
  DRM_IDENTITY_BOUND: 'conflict',
  DRM_WO_STATE: 'conflict',
  DRM_QUOTE_STATE: 'conflict',
  DRM_STALE: 'stale',
  DRM_QUOTE_LOCKED: 'conflict',
  DRM_MONEY_OWING: 'conflict',
  DRM_MONEY_HELD: 'conflict',
  DRM_HAS_PARTS: 'conflict',
  DRM_NO_STOCK: 'conflict',
  DRM_OVER_RETURN: 'conflict',
  DRM_MEDIA_REQUIRED: 'conflict',
  DRM_FORBIDDEN: 'forbidden',
  DRM_NOT_FOUND: 'not_found',
};

const CODE_RE = /\b(DRM_[A-Z_]+):\s*/;
const CONSTRAINT_PREFIX = /^The operation cannot be completed:\s*/;
const MISSING_RE = /^Record does not exist or has been deleted/;

/** The transport-neutral shape of an Odoo fault. */
export interface RawFault {
  transport: 'jsonrpc' | 'xmlrpc';
  /** JSON-RPC: error.data.name, e.g. odoo.exceptions.ValidationError. */
  name?: string;
  /** XML-RPC: faultCode (1 server error, 2 UserError & subclasses, 3 AccessDenied, 4 AccessError). */
  faultCode?: number;
  message: string;
}

export type FaultClass = 'user' | 'validation' | 'missing' | 'access' | 'access_denied' | 'busy' | 'server';

/**
 * Transient database faults: Odoo's connection pool exhausted (`--db_maxconn`), or a serialization failure / lock
 * timeout that outlived Odoo's own retries. The transaction was rolled back, so the call is safe to repeat.
 * JSON-RPC names the class; XML-RPC sends a code-1 traceback ending in it.
 */
const BUSY_CLASSES = /^psycopg2\.(pool\.PoolError|errors\.(SerializationFailure|LockNotAvailable|DeadlockDetected))$/;
const BUSY_TRACEBACK = /^psycopg2\.(pool\.PoolError|errors\.(SerializationFailure|LockNotAvailable|DeadlockDetected)):/m;

export function classify(f: RawFault): FaultClass {
  if (f.transport === 'jsonrpc') {
    if (f.name && BUSY_CLASSES.test(f.name)) return 'busy';
    switch (f.name) {
      case 'odoo.exceptions.ValidationError':
        return 'validation';
      case 'odoo.exceptions.MissingError':
        return 'missing';
      case 'odoo.exceptions.AccessError':
        return 'access';
      case 'odoo.exceptions.AccessDenied':
        return 'access_denied';
      case 'odoo.exceptions.UserError':
      case 'odoo.exceptions.RedirectWarning':
        return 'user';
      default:
        return 'server';
    }
  }
  switch (f.faultCode) {
    case 2:
      // XML-RPC folds every UserError subclass into code 2: recover MissingError by its (en_US) text.
      return MISSING_RE.test(f.message) ? 'missing' : 'user';
    case 3:
      return 'access_denied';
    case 4:
      return 'access';
    default:
      return BUSY_TRACEBACK.test(f.message) ? 'busy' : 'server';
  }
}

/** Odoo fault → AppError. Never a bug: unknown server faults are an upstream error with nothing internal. */
export function faultToAppError(f: RawFault): AppError {
  const cls = classify(f);
  const m = cls === 'server' ? null : f.message.match(CODE_RE);
  const code = m?.[1];
  const detail = humanDetail(f.message);
  if (code) {
    const type = DRM_CODES[code] ?? 'unprocessable';
    return new AppError(type, detail, { code });
  }
  switch (cls) {
    case 'missing':
      return new AppError('not_found', 'The record does not exist or has been deleted.', { code: 'ODOO_MISSING' });
    case 'access':
      return new AppError('forbidden', 'Odoo refused access to this record.', { code: 'ODOO_ACCESS' });
    case 'access_denied':
      return new AppError('dependency_unavailable', 'The BFF could not authenticate with Odoo.', { code: 'ODOO_AUTH', retryAfterS: 30 });
    case 'validation':
    case 'user':
      return new AppError('unprocessable', detail, { code: 'ODOO_VALIDATION' });
    case 'busy':
      return new OdooUnavailableError('busy', 'Odoo is busy; try again shortly.', f.message, 1);
    case 'server':
      return new AppError('upstream_error', 'Odoo could not process the request.', { code: 'ODOO_ERROR', cause: f.message });
  }
}

function humanDetail(message: string): string {
  return message.replace(CONSTRAINT_PREFIX, '').replace(CODE_RE, '').trim() || 'Odoo refused the request.';
}

/** Connection refused/reset, timeouts, 5xx without a fault body. */
export class OdooUnavailableError extends AppError {
  constructor(
    readonly reason: 'timeout' | 'connection' | 'http' | 'busy',
    detail: string,
    cause?: unknown,
    retryAfterS = 5,
  ) {
    super('dependency_unavailable', detail, { code: reason === 'busy' ? 'ODOO_BUSY' : 'ODOO_UNAVAILABLE', retryAfterS, cause });
    this.name = 'OdooUnavailableError';
  }
}
