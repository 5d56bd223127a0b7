/**
 * Rate limits aimed at the guesser (issue 15.4): wrong passwords count per (login, client address) — the address as
 * the trusted proxy reports it (X-Forwarded-For from loopback here) —, Odoo's own per-address login cooldown sees the
 * client's address too, the counts live in Redis when there is one (two app instances share them), a Redis outage
 * lets requests through with a warning, and webhooks count only requests that fail verification.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import Stripe from 'stripe';
import { createApp } from '../src/app';
import { rateLimitRedis, redisLimitStores } from '../src/http/rate-limit';
import { startHarness, type Harness } from './harness';

const WHSEC = 'whsec_ratelimits0123456789';
const A = '203.0.113.7';
const B = '198.51.100.20';

type Res = { status: number; headers: Headers; body: any };

async function listen(app: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

async function login(base: string, from: string, login: string, password: string): Promise<Res> {
  const res = await fetch(`${base}/api/v1/auth/staff/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
    body: JSON.stringify({ login, password }),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe('rate limits', () => {
  let h: Harness;
  beforeAll(async () => {
    // Odoo's cooldown as scripts/odoo-setup-users.py sets it: 10 failures per address (the BFF stops a login at 5)
    h = await startHarness({
      odooMock: { loginCooldown: { after: 10, seconds: 60 } },
      env: {
        RATE_LIMIT_LOGIN_FAILURES: '5',
        RATE_LIMIT_WEBHOOK_FAILURES_PER_MIN: '3',
        STRIPE_SECRET_KEY: 'sk_test_ratelimits',
        STRIPE_WEBHOOK_SECRET: WHSEC,
        STRIPE_API_BASE: 'http://127.0.0.1:9',
      },
    });
  });
  afterAll(() => h.close());

  describe('staff login', () => {
    it('five wrong passwords from one client block that login from that client only: not from another client, not other logins', async () => {
      for (let i = 0; i < 5; i++) expect((await login(h.bff.url, A, 'manager', 'wrong')).status).toBe(401);
      const blocked = await login(h.bff.url, A, 'manager', 'demo');
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(blocked.body.type).toBe('urn:drmoto:problem:rate_limited');
      // the manager at the counter, and a colleague at the guesser's address, log in — Odoo's cooldown included
      expect((await login(h.bff.url, B, 'manager', 'demo')).status).toBe(200);
      expect((await login(h.bff.url, A, 'advisor', 'demo')).status).toBe(200);
    });

    it('Odoo down (503) or no workshop role (403) is not a wrong password: it does not count', async () => {
      for (let i = 0; i < 6; i++) expect((await login(h.bff.url, '192.0.2.44', 'admin', 'admin')).status).toBe(403);
      expect((await login(h.bff.url, '192.0.2.44', 'admin', 'admin')).status).toBe(403);
    });
  });

  describe('Odoo login cooldown', () => {
    it("counts per client address because the BFF forwards it; without forwarding one guesser's failures lock every staff login out", async () => {
      const noForward = await startHarness({ odooMock: { loginCooldown: { after: 5, seconds: 60 } }, env: { ODOO_FORWARD_CLIENT_IP: 'false' } });
      try {
        for (let i = 0; i < 5; i++) expect((await login(noForward.bff.url, A, 'cashier', 'wrong')).status).toBe(401);
        // Odoo saw five failures from the BFF's own address and now refuses everyone (Odoo answers as for a wrong password)
        expect((await login(noForward.bff.url, B, 'manager', 'demo')).status).toBe(401);
      } finally {
        await noForward.close();
      }
      // with forwarding (the default, and the harness above): A's failures fall on A
      for (let i = 0; i < 5; i++) expect((await login(h.bff.url, A, 'cashier', 'wrong')).status).toBe(401);
      expect((await login(h.bff.url, B, 'cashier', 'demo')).status).toBe(200);
    });
  });

  describe('shared in Redis', () => {
    const redisUrl = process.env.REDIS_URL;
    (redisUrl ? it : it.skip)(`two app instances sharing one Redis share the counts${redisUrl ? '' : ' — skipped: REDIS_URL not set'}`, async () => {
      const prefix = `t-rl-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      const logger = h.bff.container.deps.logger;
      const [r1, r2] = [rateLimitRedis(redisUrl!, logger), rateLimitRedis(redisUrl!, logger)];
      await Promise.all([r1.ping(), r2.ping()]); // connected: until then the limits let requests through
      const one = await listen(createApp({ ...h.bff.container.deps, limitStores: redisLimitStores(r1, prefix, logger) }));
      const two = await listen(createApp({ ...h.bff.container.deps, limitStores: redisLimitStores(r2, prefix, logger) }));
      try {
        for (const base of [one.url, two.url, one.url, two.url, one.url]) expect((await login(base, A, 'technician', 'wrong')).status).toBe(401);
        expect((await login(two.url, A, 'technician', 'demo')).status).toBe(429);
        expect((await login(one.url, A, 'technician', 'demo')).status).toBe(429);
        expect((await login(two.url, B, 'technician', 'demo')).status).toBe(200);
        expect(await r1.keys(`${prefix}:rl:*`)).not.toHaveLength(0);
      } finally {
        await one.close();
        await two.close();
        const keys = await r1.keys(`${prefix}:rl:*`);
        if (keys.length) await r1.del(...keys);
        r1.disconnect();
        r2.disconnect();
      }
    });

    it('fail open: with Redis unreachable requests are served (unlimited) and a warning is logged', async () => {
      const logger = h.bff.container.deps.logger;
      const dead = rateLimitRedis('redis://127.0.0.1:1', logger);
      const app = await listen(createApp({ ...h.bff.container.deps, limitStores: redisLimitStores(dead, 'unreachable', logger) }));
      try {
        for (let i = 0; i < 7; i++) expect((await login(app.url, '192.0.2.99', 'keeper', 'wrong')).status).toBe(401);
        expect((await login(app.url, '192.0.2.99', 'keeper', 'demo')).status).toBe(200);
        expect(h.logs.some((l) => l.level === 'warn' && /rate limit .*unavailable/.test(String(l.message)))).toBe(true);
      } finally {
        await app.close();
        dead.disconnect();
      }
    });
  });

  describe('webhooks', () => {
    const sdk = new Stripe('sk_test_ratelimits');
    const event = (n: number) => JSON.stringify({ id: `evt_rl_${Date.now()}_${n}`, object: 'event', type: 'customer.created', created: 1, data: { object: { id: `cus_${n}`, object: 'customer' } } });
    const deliver = async (from: string, body: string, signature: string) => {
      const res = await fetch(`${h.bff.url}/api/v1/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature, 'x-forwarded-for': from }, body });
      return { status: res.status, headers: res.headers };
    };
    const signed = (body: string) => sdk.webhooks.generateTestHeaderString({ payload: body, secret: WHSEC });

    it('only requests failing verification count: past the limit their address gets 429, yet its valid events still pass', async () => {
      const forger = '192.0.2.7';
      for (let i = 0; i < 3; i++) expect((await deliver(forger, event(i), 't=1,v1=00')).status).toBe(400);
      const limited = await deliver(forger, event(9), 't=1,v1=00');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = event(10);
      expect((await deliver(forger, body, signed(body))).status).toBe(200);
    });

    it('valid events are never limited, however many come from one address', async () => {
      const stripeIp = '192.0.2.8';
      for (let i = 0; i < 10; i++) {
        const body = event(100 + i);
        expect((await deliver(stripeIp, body, signed(body))).status).toBe(200);
      }
    });
  });
});
