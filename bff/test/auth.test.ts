import jwt from 'jsonwebtoken';
import { startHarness, expectProblem, type Harness } from './harness';

describe('auth', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  describe('staff login', () => {
    it('issues tokens whose roles come from Odoo groups', async () => {
      const r = await h.req('POST', '/api/v1/auth/staff/login', { body: { login: 'advisor', password: 'demo' } });
      expect(r.status).toBe(200);
      expect(r.body.token_type).toBe('Bearer');
      expect(r.body.user).toEqual(expect.objectContaining({ kind: 'staff', roles: ['advisor'] }));
      const me = await h.req('GET', '/api/v1/auth/me', { token: r.body.access_token });
      expect(me.status).toBe(200);
      expect(me.body.roles).toEqual(['advisor']);
    });

    it('manager has the manager role', async () => {
      const r = await h.req('POST', '/api/v1/auth/staff/login', { body: { login: 'manager', password: 'demo' } });
      expect(r.body.user.roles).toContain('manager');
    });

    it('wrong password → 401', async () => {
      expectProblem(await h.req('POST', '/api/v1/auth/staff/login', { body: { login: 'advisor', password: 'wrong' } }), 401);
    });

    it('an Odoo user without a workshop group → 403', async () => {
      expectProblem(await h.req('POST', '/api/v1/auth/staff/login', { body: { login: 'admin', password: 'admin' } }), 403);
    });

    it('missing or extra fields → 400 listing them', async () => {
      const r = await h.req('POST', '/api/v1/auth/staff/login', { body: { login: 'advisor', extra: 1 } });
      expectProblem(r, 400);
      const paths = r.body.errors.map((e: { path: string }) => e.path);
      expect(paths).toEqual(expect.arrayContaining(['body.password', 'body']));
    });

    it('Odoo down → 503 with Retry-After, not 500', async () => {
      h.odoo.pause();
      try {
        const r = await h.req('POST', '/api/v1/auth/staff/login', { body: { login: 'advisor', password: 'demo' } });
        expectProblem(r, 503, 'ODOO_UNAVAILABLE');
        expect(r.headers.get('retry-after')).toBeTruthy();
      } finally {
        h.odoo.resume();
      }
    });
  });

  describe('tokens', () => {
    it('missing, malformed, forged and expired tokens → 401', async () => {
      expectProblem(await h.req('GET', '/api/v1/auth/me'), 401);
      expectProblem(await h.req('GET', '/api/v1/auth/me', { headers: { authorization: 'Basic abc' } }), 401);
      const forged = jwt.sign({ typ: 'access', sub: 'staff:2', kind: 'staff', roles: ['manager'] }, 'another-secret-another-secret-1234', { issuer: 'drmoto-bff' });
      expectProblem(await h.req('GET', '/api/v1/auth/me', { token: forged }), 401);
      const expired = jwt.sign({ typ: 'access', sub: 'staff:2', kind: 'staff', roles: ['manager'], exp: Math.floor(Date.now() / 1000) - 10 }, h.config.jwt.secret, { issuer: 'drmoto-bff' });
      const r = await h.req('GET', '/api/v1/auth/me', { token: expired });
      expectProblem(r, 401);
      expect(r.body.detail).toMatch(/expired/);
      const none = jwt.sign({ typ: 'access', sub: 'staff:2', kind: 'staff', roles: ['manager'] }, '', { algorithm: 'none', issuer: 'drmoto-bff' } as jwt.SignOptions);
      expectProblem(await h.req('GET', '/api/v1/auth/me', { token: none }), 401);
    });

    it('a refresh token is not an access token', async () => {
      const login = await h.req('POST', '/api/v1/auth/staff/login', { body: { login: 'advisor', password: 'demo' } });
      expectProblem(await h.req('GET', '/api/v1/auth/me', { token: login.body.refresh_token }), 401);
    });

    it('refresh rotates: a used refresh token is refused and revokes the family', async () => {
      const login = await h.req('POST', '/api/v1/auth/staff/login', { body: { login: 'technician', password: 'demo' } });
      const first = await h.req('POST', '/api/v1/auth/refresh', { body: { refresh_token: login.body.refresh_token } });
      expect(first.status).toBe(200);
      expect(first.body.user.roles).toEqual(['technician']);
      // replaying the old one: refused, and the newer one dies with it
      expectProblem(await h.req('POST', '/api/v1/auth/refresh', { body: { refresh_token: login.body.refresh_token } }), 401);
      expectProblem(await h.req('POST', '/api/v1/auth/refresh', { body: { refresh_token: first.body.refresh_token } }), 401);
    });

    it('wrong role → 403', async () => {
      const tech = await h.staffToken('technician');
      expectProblem(await h.req('POST', '/api/v1/customers', { token: tech, body: { name: 'X', phone: '13900000001' } }), 403);
    });
  });

  describe('customer login (WeChat)', () => {
    it('code → token without a customer until the phone is bound', async () => {
      const r = await h.req('POST', '/api/v1/auth/wechat/login', { body: { code: 'user-unbound-1' } });
      expect(r.status).toBe(200);
      expect(r.body.user).toEqual({ kind: 'customer', customer_id: null, phone_bound: false });
      const v = await h.req('GET', '/api/v1/vehicles', { token: r.body.access_token });
      expectProblem(v, 403, 'PHONE_NOT_BOUND');
      // the openid went to WeChat, not into our logs
      const logged = JSON.stringify(h.logs);
      expect(logged).not.toContain('user-unbound-1');
    });

    it('an invalid code → 401', async () => {
      expectProblem(await h.req('POST', '/api/v1/auth/wechat/login', { body: { code: 'invalid-code' } }), 401);
    });

    it('the same WeChat user logging in twice is one identity', async () => {
      const a = await h.customerLogin('same-person', 'phone-13700000001');
      const b = await h.customerLogin('same-person');
      expect(b.user.customer_id).toBe(a.user.customer_id);
    });

    it('one person, one partner: the advisor enters the phone one way, the customer binds it written another way', async () => {
      const advisor = await h.staffToken('advisor');
      const created = await h.req('POST', '/api/v1/customers', { token: advisor, body: { name: 'Li Si', phone: '+86 139-0013-9000' } });
      expect(created.status).toBe(201);
      const login = await h.req('POST', '/api/v1/auth/wechat/login', { body: { code: 'user-lisi' } });
      const bound = await h.req('POST', '/api/v1/auth/wechat/phone', { token: login.body.access_token, body: { code: 'phone-13900139000' } });
      expect(bound.status).toBe(200);
      expect(bound.body.user.customer_id).toBe(created.body.id);
      // and nobody else got created with that phone
      const search = await h.req('GET', '/api/v1/customers?q=13900139000', { token: advisor });
      expect(search.body.total).toBe(1);
      // the customer now sees their own record
      const me = await h.req('GET', `/api/v1/customers/${created.body.id}`, { token: bound.body.access_token });
      expect(me.status).toBe(200);
      expect(me.body.name).toBe('Li Si');
    });

    it('binding a phone nobody entered creates the customer', async () => {
      const r = await h.customerLogin('newcomer', 'phone-13600000002');
      expect(r.user.customer_id).toEqual(expect.any(Number));
    });

    it('an invalid phone code → 422; an expired WeChat access token is renewed transparently', async () => {
      const login = await h.req('POST', '/api/v1/auth/wechat/login', { body: { code: 'user-codes' } });
      expectProblem(await h.req('POST', '/api/v1/auth/wechat/phone', { token: login.body.access_token, body: { code: 'invalid' } }), 422);
      h.wechat.expireToken();
      const ok = await h.req('POST', '/api/v1/auth/wechat/phone', { token: login.body.access_token, body: { code: 'phone-13500000003' } });
      expect(ok.status).toBe(200);
    });

    it('staff tokens cannot bind a phone', async () => {
      const advisor = await h.staffToken('advisor');
      expectProblem(await h.req('POST', '/api/v1/auth/wechat/phone', { token: advisor, body: { code: 'phone-13500000004' } }), 403);
    });
  });
});
