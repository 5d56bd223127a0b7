import { AsyncLocalStorage } from 'node:async_hooks';
import type { Principal } from './domain/principal';

/** What every log line and every Odoo call of one request (or job) needs to know. */
export interface RequestContext {
  traceId: string;
  principal?: Principal;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const requestContext = {
  run<T>(ctx: RequestContext, fn: () => T): T {
    return storage.run(ctx, fn);
  },
  get(): RequestContext | undefined {
    return storage.getStore();
  },
};
