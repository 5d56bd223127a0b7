import http from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the WeChat mini-program server APIs the BFF calls at login:
 * `GET /sns/jscode2session`, `POST /cgi-bin/stable_token`, `POST /wxa/business/getuserphonenumber`.
 *
 * Codes are descriptive so demos and tests can say what they want:
 *  - login code `user-<anything>`    → a stable openid derived from the code (same code, same person)
 *  - login code `invalid…`           → errcode 40029
 *  - phone code `phone-<digits>`     → that phone number (e.g. `phone-13800138000`, `phone-+8613800138000`)
 *  - phone code `invalid…`           → errcode 40029
 * Each login/phone code works once (like WeChat's), unless it starts with `reuse-` / `user-` for convenience.
 */
export interface WechatMock {
  url: string;
  appId: string;
  secret: string;
  close(): Promise<void>;
  /** Calls seen, for asserting outgoing payloads. */
  calls: { path: string; query: Record<string, string>; body?: unknown }[];
  /** Force the next token-protected call to say the token expired. */
  expireToken(): void;
}

export function openidFor(code: string): string {
  return 'o' + createHash('sha256').update(code).digest('base64url').slice(0, 27);
}

export async function startWechatMock(opts: { port?: number; host?: string; appId?: string; secret?: string } = {}): Promise<WechatMock> {
  const appId = opts.appId ?? 'wx_demo_appid';
  const secret = opts.secret ?? 'wx_demo_secret';
  const calls: WechatMock['calls'] = [];
  let token = 'tok-' + Date.now();
  let tokenExpired = false;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> | undefined;
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      const query = Object.fromEntries(url.searchParams);
      calls.push({ path: url.pathname, query, body });
      const send = (o: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(o));
      };
      if (url.pathname === '/sns/jscode2session' && req.method === 'GET') {
        if (query.appid !== appId || query.secret !== secret) return send({ errcode: 40013, errmsg: 'invalid appid' });
        const code = query.js_code ?? '';
        if (!code || code.startsWith('invalid')) return send({ errcode: 40029, errmsg: 'invalid code' });
        return send({ openid: openidFor(code.replace(/^user-/, '')), session_key: 'sk-' + code.length });
      }
      if (url.pathname === '/cgi-bin/stable_token' && req.method === 'POST') {
        if (body?.appid !== appId || body?.secret !== secret) return send({ errcode: 40013, errmsg: 'invalid appid' });
        tokenExpired = false;
        return send({ access_token: token, expires_in: 7200 });
      }
      if (url.pathname === '/wxa/business/getuserphonenumber' && req.method === 'POST') {
        if (tokenExpired || query.access_token !== token) {
          token = 'tok-' + Date.now() + Math.random();
          return send({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
        }
        const code = String(body?.code ?? '');
        const m = code.match(/^phone-(\+?\d[\d\s-]{5,20})$/);
        if (!m || !m[1]) return send({ errcode: 40029, errmsg: 'invalid code' });
        const raw = m[1].replace(/[\s-]/g, '');
        const pure = raw.replace(/^\+86/, '');
        return send({
          errcode: 0,
          errmsg: 'ok',
          phone_info: { phoneNumber: raw, purePhoneNumber: pure, countryCode: raw.startsWith('+') && !raw.startsWith('+86') ? raw.slice(1, 3) : '86', watermark: { timestamp: Math.floor(Date.now() / 1000), appid: appId } },
        });
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errcode: 404, errmsg: 'not found' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    appId,
    secret,
    calls,
    expireToken: () => {
      tokenExpired = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
