import net from 'node:net';
import { startHarness, type Harness } from './harness';

/**
 * A client that sends its headers and then trickles the body must not hold a connection for minutes (Node's default
 * requestTimeout is 300 s): the BFF answers 408 or drops the connection once HTTP_REQUEST_TIMEOUT_MS has passed.
 */
describe('HTTP request timeouts', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { HTTP_REQUEST_TIMEOUT_MS: '500', HTTP_HEADERS_TIMEOUT_MS: '500' } });
  });
  afterAll(() => h.close());

  /** Sends the headers, then one body byte every `everyMs` until `length` bytes or the server closes. */
  function trickle(length: number, everyMs: number): Promise<{ response: string; sent: number; closed: boolean }> {
    const url = new URL(h.bff.url);
    return new Promise((resolve) => {
      const sock = net.connect(Number(url.port), url.hostname);
      let response = '';
      let sent = 0;
      let timer: NodeJS.Timeout | undefined;
      const done = (closed: boolean) => {
        clearInterval(timer);
        sock.destroy();
        resolve({ response, sent, closed });
      };
      sock.on('data', (c: Buffer) => (response += c.toString('latin1')));
      sock.on('error', () => done(true));
      sock.on('close', () => done(true));
      sock.on('connect', () => {
        sock.write(`POST /api/v1/auth/staff/login HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`);
        timer = setInterval(() => {
          if (sent >= length) return done(false);
          sock.write(' ');
          sent++;
        }, everyMs);
      });
    });
  }

  it('closes a connection whose body trickles in slower than the request timeout (408 or reset), long before the body is complete', async () => {
    const r = await trickle(200, 100); // the whole body would take 20 s
    expect(r.closed).toBe(true);
    expect(r.sent).toBeLessThan(200);
    if (r.response) expect(r.response).toMatch(/^HTTP\/1\.1 408/);
  });

  it('still serves a request that arrives in time', async () => {
    const r = await h.req('POST', '/api/v1/auth/staff/login', { body: { login: 'advisor', password: 'demo' } });
    expect(r.status).toBe(200);
  });
});
