import { headerRef, type ExtraPaths } from '../../http/openapi';

const readiness = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    checks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['up', 'down'] },
          ms: { type: 'integer' },
          error: { type: 'string' },
        },
        required: ['status', 'ms'],
      },
    },
  },
  required: ['status', 'checks'],
};

/** /healthz and /readyz are plain express routes (no auth, no validation): described here for the document. */
export function systemOpenapi(): ExtraPaths {
  const rid = { 'X-Request-Id': headerRef('X-Request-Id') };
  return {
    '/healthz': {
      get: {
        operationId: 'getHealthz',
        summary: 'Liveness: the process serves requests',
        tags: ['system'],
        security: [],
        responses: {
          200: {
            description: 'Alive',
            headers: rid,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    status: { type: 'string', enum: ['ok'] },
                    version: { type: 'string' },
                    uptime_s: { type: 'integer' },
                  },
                  required: ['status', 'version', 'uptime_s'],
                },
              },
            },
          },
        },
      },
    },
    '/readyz': {
      get: {
        operationId: 'getReadyz',
        summary: 'Readiness: every dependency answers (each check bounded in time)',
        tags: ['system'],
        security: [],
        responses: {
          200: {
            description: 'Every check is up',
            headers: rid,
            content: { 'application/json': { schema: readiness } },
          },
          503: {
            description: 'A check is down',
            headers: { ...rid, 'Retry-After': headerRef('Retry-After') },
            content: { 'application/json': { schema: readiness } },
          },
        },
      },
    },
  };
}
