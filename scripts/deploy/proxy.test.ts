import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { startHarness, type Harness } from '../../bff/test/harness';
import { repoRoot } from './compose-file';

/**
 * docker/caddy/Caddyfile run for real with the machine's caddy (Debian's 2.6 here; .ci/run installs it), in front of
 * the real BFF (PGlite, mocks) and the Odoo mock, with the sites as plain http:// on a free port — the file reads its
 * sites and upstreams from the environment, as compose's `proxy` service sets them. One test runs a site over HTTPS
 * with Caddy's internal CA (TLS_MODE=internal); ACME itself can't run offline. Upstreams that only record what
 * reached them stand in for MinIO and for Odoo's websocket port, and one for a streaming response.
 */

const caddyBin =
  process.env.CADDY_PATH ?? ['/usr/bin/caddy', '/usr/local/bin/caddy'].find((p) => spawnSync(p, ['version']).status === 0);
const missing = !caddyBin;
if (missing && process.env.CI) {
  throw new Error('caddy not found: the proxy test must run in CI (apt-get install -y caddy, or set CADDY_PATH)');
}
if (missing) console.warn('[skipped] proxy test: caddy not found (apt-get install -y caddy, or CADDY_PATH)');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Caddy {
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/** Runs the repo's Caddyfile with `env` (sites, upstreams), on a free port, until stop(). */
async function startCaddy(env: (port: number) => Record<string, string>): Promise<Caddy> {
  const port = await freePort();
  const home = mkdtempSync(path.join(tmpdir(), 'caddy-test-'));
  let out = '';
  const child: ChildProcess = spawn(caddyBin as string, ['run', '--config', path.join(repoRoot, 'docker/caddy/Caddyfile'), '--adapter', 'caddyfile'], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_DATA_HOME: home,
      XDG_CONFIG_HOME: home,
      CADDY_ADMIN: 'off',
      ACME_EMAIL: 'ops@example.test',
      ...env(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ready when it accepts connections; an exit first is a configuration error, shown with caddy's own output.
  for (let ready = false; !ready; ) {
    if (child.exitCode !== null) throw new Error(`caddy exited ${child.exitCode}:\n${out}`);
    ready = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => setTimeout(() => resolve(false), 50));
    });
  }
  return {
    port,
    output: () => out,
    async stop() {
      // Caddy's default shutdown waits for open connections without limit; a test cleanup does not.
      child.kill('SIGTERM');
      const hard = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(hard);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request to the proxy as a client at `localAddress` would send it (Host as given, any spoofed header). */
function request(port: number, host: string, urlPath: string, opts: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method: opts.method ?? 'GET', localAddress: opts.localAddress, headers: { host: `${host}:${port}`, ...opts.headers }, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A promise with its resolve, for "the other side has seen it" hand-offs. */
function signal<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Fails instead of hanging when `what` never happens (a liveness guard, not a measurement). */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`never happened: ${what}`)), 10_000);
    }),
  ]);
}

/** Stands in for MinIO (media) and Odoo's gevent port: answers what reached it; upgrades to an echoing websocket. */
interface Recorder {
  port: number;
  seen: { method: string; url: string; host?: string; xff?: string; bytes: number }[];
  firstBodyChunk: { promise: Promise<void>; resolve: () => void };
  close(): Promise<void>;
}

async function startRecorder(name: string): Promise<Recorder> {
  const seen: Recorder['seen'] = [];
  const firstBodyChunk = signal();
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const entry = { method: req.method ?? '', url: req.url ?? '', host: req.headers.host, xff: req.headers['x-forwarded-for'] as string | undefined, bytes: 0 };
    seen.push(entry);
    req.on('data', (c: Buffer) => {
      if (entry.bytes === 0) firstBodyChunk.resolve();
      entry.bytes += c.length;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ upstream: name, ...entry }));
    });
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket) => {
    seen.push({ method: 'UPGRADE', url: req.url ?? '', host: req.headers.host, bytes: 0 });
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(`${name}:${d.toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    firstBodyChunk,
    close: () =>
      new Promise((resolve) => {
        // Upgraded (websocket) sockets are no longer the HTTP server's to close.
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

(missing ? describe.skip : describe)(missing ? 'reverse proxy (Caddyfile) — skipped: caddy not found' : 'reverse proxy (Caddyfile)', () => {
  let h: Harness;
  let media: Recorder;
  let odooWs: Recorder;
  let caddy: Caddy;

  beforeAll(async () => {
    // TRUST_PROXY as docker-compose.yml sets it; a low login limit makes the client address the BFF sees observable.
    h = await startHarness({ env: { TRUST_PROXY: '1', RATE_LIMIT_AUTH_PER_MIN: '3' } });
    media = await startRecorder('media');
    odooWs = await startRecorder('odoo-gevent');
    caddy = await startCaddy((port) => ({
      API_SITE: `http://api.test:${port}`,
      ODOO_SITE: `http://odoo.test:${port}`,
      MEDIA_SITE: `http://media.test:${port}`,
      BFF_UPSTREAM: new URL(h.bff.url).host,
      ODOO_UPSTREAM: new URL(h.odoo.url).host,
      ODOO_WS_UPSTREAM: `127.0.0.1:${odooWs.port}`,
      MEDIA_UPSTREAM: `127.0.0.1:${media.port}`,
    }));
    // Starting the BFF (PGlite, migrations) takes long on a busy machine.
  }, 120_000);

  afterAll(async () => {
    await media?.close();
    await odooWs?.close();
    await caddy?.stop();
    await h?.close();
  }, 60_000);

  it('routes by Host: the API to the BFF, the Odoo host to Odoo, the media host to the storage', async () => {
    const api = await request(caddy.port, 'api.test', '/healthz');
    expect(api.status).toBe(200);
    expect(JSON.parse(api.text)).toMatchObject({ status: 'ok' });

    const rpc = JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service: 'common', method: 'version', args: [] } });
    const odoo = await request(caddy.port, 'odoo.test', '/jsonrpc', { method: 'POST', body: rpc, headers: { 'content-type': 'application/json' } });
    expect(odoo.status).toBe(200);
    expect(JSON.parse(odoo.text).result).toHaveProperty('server_version');
    // The BFF does not know the Odoo path, and Odoo does not know the BFF's.
    expect((await request(caddy.port, 'api.test', '/jsonrpc', { method: 'POST', body: rpc })).status).toBe(404);
    expect((await request(caddy.port, 'odoo.test', '/healthz')).status).toBe(404);

    const m = await request(caddy.port, 'media.test', '/drmoto-media/work-orders/1/a.jpg');
    expect(JSON.parse(m.text)).toMatchObject({ upstream: 'media', url: '/drmoto-media/work-orders/1/a.jpg' });
  });

  it('passes the Host the client used to the storage unchanged (SigV4 signs it)', async () => {
    await request(caddy.port, 'media.test', '/drmoto-media?list-type=2');
    expect(media.seen.at(-1)).toMatchObject({ host: `media.test:${caddy.port}`, url: '/drmoto-media?list-type=2' });
  });

  it("gives the BFF the client's address, never a client's own X-Forwarded-For", async () => {
    // Client A (127.0.0.2) spends its three logins per minute, each time claiming another address.
    const login = (from: string, claim: string) =>
      request(caddy.port, 'api.test', '/api/v1/auth/staff/login', {
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json', 'x-forwarded-for': claim },
        body: JSON.stringify({ login: 'advisor', password: 'wrong' }),
      });
    const statuses = [];
    for (const claim of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) statuses.push((await login('127.0.0.2', claim)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    // Client B (127.0.0.3) has its own budget, even claiming to be A; so the BFF keys on the address Caddy saw
    // (not on Caddy's own, which both share).
    expect((await login('127.0.0.3', '127.0.0.2')).status).toBe(401);
    // And the storage gets the same single hop.
    await request(caddy.port, 'media.test', '/x', { localAddress: '127.0.0.3', headers: { 'x-forwarded-for': '6.6.6.6' } });
    expect(media.seen.at(-1)?.xff).toBe('127.0.0.3');
  });

  it('streams an upload to the storage: the storage has the first bytes before the client has sent the rest', async () => {
    const reply = new Promise<Reply>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: caddy.port, method: 'POST', path: '/drmoto-media', headers: { host: `media.test:${caddy.port}`, 'content-type': 'multipart/form-data; boundary=x' }, agent: false },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(64 * 1024, 1));
      // Only once the storage has seen the start does the rest go out: a buffering proxy would wait forever.
      within(media.firstBodyChunk.promise, 'the storage received the first part of a streamed upload').then(
        () => req.end(Buffer.alloc(3 * 1024 * 1024, 2)),
        (e: Error) => {
          req.destroy(e);
          reject(e);
        },
      );
    });
    const r = await reply;
    expect(JSON.parse(r.text)).toMatchObject({ upstream: 'media', bytes: 64 * 1024 + 3 * 1024 * 1024 });
  });

  it("routes Odoo's /websocket and /longpolling to its gevent port, with the upgrade", async () => {
    const upgraded = await new Promise<string>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: caddy.port,
        path: '/websocket?version=18.0',
        headers: { host: `odoo.test:${caddy.port}`, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
        agent: false,
      });
      req.on('upgrade', (res, socket) => {
        expect(res.statusCode).toBe(101);
        socket.once('data', (d: Buffer) => {
          socket.destroy();
          resolve(d.toString());
        });
        socket.write('ping');
      });
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    expect(upgraded).toBe('odoo-gevent:ping');
    const poll = await request(caddy.port, 'odoo.test', '/longpolling/poll', { method: 'POST', body: '{}' });
    expect(JSON.parse(poll.text)).toMatchObject({ upstream: 'odoo-gevent', url: '/longpolling/poll' });
  });

  it('does not route /metrics, nor Odoo\'s database manager', async () => {
    for (const p of ['/metrics', '/metrics/', '/metrics/anything']) {
      const r = await request(caddy.port, 'api.test', p);
      // Caddy's own empty 404: the request never reached the BFF (whose 404 is problem+json).
      expect([p, r.status, r.text, r.headers['content-type']]).toEqual([p, 404, '', undefined]);
    }
    const before = odooWs.seen.length;
    for (const p of ['/web/database/manager', '/web/database/list', '/web/database']) {
      const db = await request(caddy.port, 'odoo.test', p);
      // Not the Odoo (mock)'s HTML 404 page: Caddy's own.
      expect([p, db.status, db.text]).toEqual([p, 404, '']);
    }
    expect(odooWs.seen.length).toBe(before);
  });

  describe('a streamed response', () => {
    let upstream: http.Server;
    let streamCaddy: Caddy;
    const clientHasFirstChunk = signal();
    let upstreamEnded = false;

    beforeAll(async () => {
      // Writes the first rows, then waits for the client to have them before it writes the rest and ends.
      upstream = http.createServer((_req, res) => {
        // With its length announced: a chunked response is flushed by Caddy anyway, this one only by flush_interval -1.
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-length': String(Buffer.byteLength('day,amount\n2026-12-01,100\n2026-12-02,200\n')) });
        res.write('day,amount\n2026-12-01,100\n');
        within(clientHasFirstChunk.promise, 'the client received the first rows of a streamed response').then(
          () => {
            upstreamEnded = true;
            res.end('2026-12-02,200\n');
          },
          () => res.destroy(),
        );
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      streamCaddy = await startCaddy((port) => ({
        API_SITE: `http://api.test:${port}`,
        ODOO_SITE: `http://odoo.test:${port}`,
        MEDIA_SITE: `http://media.test:${port}`,
        BFF_UPSTREAM: `127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      }));
    });

    afterAll(async () => {
      await streamCaddy?.stop();
      upstream?.closeAllConnections();
      await new Promise((resolve) => upstream?.close(resolve));
    });

    it('arrives in chunks, the first before the upstream has finished', async () => {
      const chunks: { text: string; upstreamEnded: boolean }[] = [];
      await new Promise<void>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: streamCaddy.port, path: '/api/v1/reports/payments', headers: { host: `api.test:${streamCaddy.port}`, accept: 'text/csv' }, agent: false }, (res) => {
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            chunks.push({ text: c, upstreamEnded });
            if (c.includes('2026-12-01')) clientHasFirstChunk.resolve();
          });
          res.on('end', resolve);
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
      expect(chunks.length).toBeGreaterThanOrEqual(2);
      expect(chunks[0]).toEqual({ text: 'day,amount\n2026-12-01,100\n', upstreamEnded: false });
      expect(chunks.map((c) => c.text).join('')).toBe('day,amount\n2026-12-01,100\n2026-12-02,200\n');
    });
  });

  describe('over TLS (TLS_MODE=internal: Caddy\'s own CA)', () => {
    let tlsCaddy: Caddy;

    beforeAll(async () => {
      tlsCaddy = await startCaddy((port) => ({
        API_SITE: `https://api.test:${port}`,
        ODOO_SITE: `https://odoo.test:${port}`,
        MEDIA_SITE: `https://media.test:${port}`,
        TLS_MODE: 'internal',
        BFF_UPSTREAM: new URL(h.bff.url).host,
        ODOO_UPSTREAM: new URL(h.odoo.url).host,
      }));
    });

    afterAll(async () => {
      await tlsCaddy?.stop();
    });

    it('terminates TLS for the API host with a certificate for that name', async () => {
      const { status, issuer, subject } = await new Promise<{ status: number; issuer: string; subject: string }>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port: tlsCaddy.port, servername: 'api.test', path: '/healthz', headers: { host: `api.test:${tlsCaddy.port}` }, rejectUnauthorized: false, agent: false },
          (res) => {
            const cert = (res.socket as TLSSocket).getPeerCertificate();
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, issuer: String(cert.issuer?.CN ?? ''), subject: String(cert.subjectaltname ?? '') }));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
      expect(subject).toContain('DNS:api.test');
      expect(issuer).toMatch(/Caddy Local Authority/);
    });
  });
});
