/**
 * One error class with a closed list of types, and one mapping to RFC 9457 problem details.
 * Services and gateways throw AppError; anything else reaching the error handler is a bug and
 * becomes a bare 500 carrying only the trace id.
 */
export const ERROR_TYPES = {
  bad_request: { status: 400, title: 'Bad request' },
  validation: { status: 400, title: 'Validation failed' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  precondition_failed: { status: 412, title: 'Precondition failed' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  unprocessable: { status: 422, title: 'Unprocessable content' },
  precondition_required: { status: 428, title: 'Precondition required' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  bad_gateway: { status: 502, title: 'Upstream error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ErrorType = keyof typeof ERROR_TYPES;

export interface FieldError {
  /** JSON pointer-ish path, e.g. `body.phone` or `query.limit`. */
  path: string;
  message: string;
  code?: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly type: ErrorType,
    message: string,
    readonly extra: {
      /** A stable machine code, e.g. DRM_DUP_PLATE (from Odoo) or our own. */
      code?: string;
      errors?: FieldError[];
      /** Extra public members of the problem body (must contain nothing internal). */
      details?: Record<string, unknown>;
      retryAfterS?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: extra.cause });
    this.name = 'AppError';
    this.status = ERROR_TYPES[type].status;
  }

  get code(): string | undefined {
    return this.extra.code;
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  trace_id?: string;
  code?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_TYPE_BASE = 'urn:drmoto:problem:';

export function toProblem(err: unknown, traceId: string, instance?: string): Problem {
  if (err instanceof AppError) {
    const def = ERROR_TYPES[err.type];
    const problem: Problem = {
      type: PROBLEM_TYPE_BASE + err.type,
      title: def.title,
      status: def.status,
      detail: err.message,
      instance,
      trace_id: traceId,
    };
    if (err.extra.code) problem.code = err.extra.code;
    if (err.extra.errors) problem.errors = err.extra.errors;
    if (err.extra.details) Object.assign(problem, err.extra.details, { type: problem.type, status: problem.status, title: problem.title });
    return problem;
  }
  return {
    type: PROBLEM_TYPE_BASE + 'internal',
    title: ERROR_TYPES.internal.title,
    status: 500,
    detail: `An unexpected error occurred. Quote trace id ${traceId} when reporting it.`,
    instance,
    trace_id: traceId,
  };
}
