import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startOdooMock, type OdooMock } from '../../mocks/odoo/server';
import { BullmqJobQueue } from '../src/jobs/bullmq';
import { JobName, QueueName } from '../src/jobs/names';
import { startHarness, type Harness } from './harness';

const redisUrl = process.env.REDIS_URL;

/** A proxy in front of the Odoo mock whose delay can be raised: in-flight requests on demand. */
async function slowProxy(target: string): Promise<{ url: string; delayMs: number; received: number; close(): Promise<void> }> {
  const state = { delayMs: 0, received: 0 };
  const server = http.createServer((req, res) => {
    state.received++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      setTimeout(() => {
        const up = http.request(target + req.url, { method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.end(Buffer.concat(chunks));
      }, state.delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  });
}

describe('graceful shutdown', () => {
  let mock: OdooMock;
  let proxy: Awaited<ReturnType<typeof slowProxy>>;
  let h: Harness;

  beforeAll(async () => {
    mock = await startOdooMock({ port: 0 });
    proxy = await slowProxy(mock.url);
    h = await startHarness({ realOdoo: { url: proxy.url, db: mock.db, user: 'bff', password: 'bff' } });
  });
  afterAll(async () => {
    await h?.close(); // the test shut the BFF down; this closes the WeChat mock the harness started
    await proxy.close();
    await mock.close();
  });

  it('lets in-flight requests finish, refuses new connections, and says it is draining', async () => {
    const token = await h.staffToken('advisor');
    proxy.delayMs = 800;
    const inflight = h.req('GET', '/api/v1/vehicles?limit=1', { token });
    await new Promise((r) => setTimeout(r, 200));
    const shutdown = h.bff.shutdown('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(h.bff.url + '/healthz')).rejects.toThrow();
    const r = await inflight;
    expect(r.status).toBe(200);
    expect(r.body.items).toHaveLength(1);
    await shutdown;
    const messages = h.logs.map((l) => l.message);
    expect(messages).toContain('draining');
    expect(messages.indexOf('stopped')).toBeGreaterThan(messages.indexOf('draining'));
  });
});

/** One GET over `agent`, resolving with the status, the headers and whether the server then closed the socket. */
function get(url: string, agent: http.Agent, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socketClosed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      const socketClosed = new Promise<void>((r) => res.socket.once('close', () => r()));
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socketClosed }));
    });
    req.on('error', reject);
  });
}

const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
};

if (!redisUrl) console.warn('[skipped] BFF_ROLE shutdown tests: REDIS_URL not set');
const describeRoles = redisUrl ? describe : describe.skip;

describeRoles(redisUrl ? 'BFF_ROLE graceful shutdown (BullMQ)' : 'BFF_ROLE graceful shutdown — skipped: REDIS_URL not set', () => {
  let prefix: string;
  let redis: Redis;
  let queue: Queue;

  beforeEach(() => {
    prefix = `t-roles-${randomBytes(4).toString('hex')}`;
    redis = new Redis(redisUrl!, { maxRetriesPerRequest: null });
    queue = new Queue(QueueName.Default, { connection: redis, prefix });
  });
  afterEach(async () => {
    await queue.close();
    redis.disconnect();
    await BullmqJobQueue.obliterate({ redisUrl: redisUrl!, prefix });
  });

  describe('api', () => {
    let mock: OdooMock;
    let proxy: Awaited<ReturnType<typeof slowProxy>>;
    let h: Harness;

    beforeAll(async () => {
      mock = await startOdooMock({ port: 0 });
      proxy = await slowProxy(mock.url);
    });
    afterAll(async () => {
      await proxy.close();
      await mock.close();
    });
    afterEach(async () => {
      await h?.close();
    });

    it('runs no job worker, finishes the in-flight request with Connection: close, and stops', async () => {
      h = await startHarness({ realOdoo: { url: proxy.url, db: mock.db, user: 'bff', password: 'bff' }, env: { BFF_ROLE: 'api', REDIS_URL: redisUrl!, QUEUE_PREFIX: prefix } });
      expect(await queue.getWorkersCount()).toBe(0);
      const token = await h.staffToken('advisor');
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const first = await get(`${h.bff.url}/healthz`, agent);
      expect(first.status).toBe(200);
      expect(first.headers.connection).toBe('keep-alive');

      proxy.delayMs = 800;
      const before = proxy.received;
      const inflight = get(`${h.bff.url}/api/v1/vehicles?limit=1`, agent, { authorization: `Bearer ${token}` });
      await until('the request reached Odoo', async () => proxy.received > before);
      const shutdown = h.bff.shutdown('SIGTERM');
      const r = await inflight;
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).items).toHaveLength(1);
      expect(r.headers.connection).toBe('close');
      await r.socketClosed;
      await shutdown;
      await expect(fetch(`${h.bff.url}/healthz`)).rejects.toThrow();
      const messages = h.logs.map((l) => l.message);
      expect(messages.indexOf('stopped')).toBeGreaterThan(messages.indexOf('draining'));
      agent.destroy();
    }, 90_000);
  });

  describe('worker', () => {
    let h: Harness;
    afterEach(async () => {
      await h?.close();
    });

    it('serves only /healthz and /readyz, lets the active job finish, closes its BullMQ worker and stops', async () => {
      h = await startHarness({ env: { BFF_ROLE: 'worker', REDIS_URL: redisUrl!, QUEUE_PREFIX: prefix } });
      expect((await h.req('GET', '/healthz')).status).toBe(200);
      const ready = await h.req('GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', checks: { store: { status: 'up' }, queue: { status: 'up' }, odoo: { status: 'up' } } });
      const api = await h.req('GET', '/api/v1/vehicles');
      expect(api.status).toBe(404);
      expect(api.headers.get('content-type')).toMatch(/application\/problem\+json/);
      await until('the worker registered', async () => (await queue.getWorkersCount()) === 1);

      // Housekeeping deletes expired refresh tokens: a transaction held on the store (PGlite runs one at a time) keeps
      // that job active until the test lets go.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let holding!: () => void;
      const holds = new Promise<void>((r) => (holding = r));
      const tx = h.bff.container.db.transaction(async (t) => {
        await t.query('SELECT 1');
        holding();
        await held;
      });
      await holds;
      await h.bff.container.queue.add(JobName.Housekeeping, {}, { jobId: 'housekeeping-shutdown-test', attempts: 1 });
      await until('the job is active', async () => (await queue.getJobState('housekeeping-shutdown-test')) === 'active');

      let stopped = false;
      const shutdown = h.bff.shutdown('SIGTERM').then(() => {
        stopped = true;
      });
      await until('the listener closed', async () => fetch(`${h.bff.url}/healthz`).then(() => false, () => true));
      expect(stopped).toBe(false);
      expect(await queue.getJobState('housekeeping-shutdown-test')).toBe('active');
      release();
      await tx;
      await shutdown;
      expect(await queue.getJobState('housekeeping-shutdown-test')).toBe('completed');
      expect(await queue.getWorkersCount()).toBe(0);
    }, 90_000);
  });
});

