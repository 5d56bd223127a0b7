import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startOdooMock, type OdooMock } from '../../mocks/odoo/server';
import { startHarness, type Harness } from './harness';

/** A proxy in front of the Odoo mock whose delay can be raised: in-flight requests on demand. */
async function slowProxy(target: string): Promise<{ url: string; delayMs: number; close(): Promise<void> }> {
  const state = { delayMs: 0 };
  const server = http.createServer((req, res) => {
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
