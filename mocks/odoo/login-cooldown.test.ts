import { startOdooMock, type OdooMock } from './server';

/**
 * res.users._assert_can_auth: failed logins are counted per source address (request.httprequest.remote_addr, which
 * proxy_mode takes from X-Forwarded-For only when X-Forwarded-Host is present too); after `after` failures every
 * login from that address is refused for `seconds`; a success forgets the address.
 */
describe('Odoo mock login cooldown', () => {
  let odoo: OdooMock;
  beforeAll(async () => {
    odoo = await startOdooMock({ port: 0, loginCooldown: { after: 3, seconds: 60 } });
  });
  afterAll(() => odoo.close());

  const auth = async (login: string, password: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${odoo.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service: 'common', method: 'authenticate', args: ['drmoto', login, password, {}] }, id: 1 }),
    });
    return ((await res.json()) as { result: number | false }).result;
  };
  const from = (ip: string) => ({ 'x-forwarded-for': `10.9.9.9, ${ip}`, 'x-forwarded-host': 'odoo.example' });

  it('refuses every login from an address after `after` failures, not from other addresses; a success resets', async () => {
    for (let i = 0; i < 3; i++) expect(await auth('advisor', 'wrong', from('203.0.113.1'))).toBe(false);
    expect(await auth('manager', 'demo', from('203.0.113.1'))).toBe(false);
    // the last X-Forwarded-For entry is the address (one trusted hop), not the first
    expect(await auth('manager', 'demo', from('203.0.113.2'))).toBe(odoo.orm.uid('manager'));
    for (let i = 0; i < 2; i++) expect(await auth('advisor', 'wrong', from('203.0.113.3'))).toBe(false);
    expect(await auth('advisor', 'demo', from('203.0.113.3'))).toBe(odoo.orm.uid('advisor'));
    for (let i = 0; i < 2; i++) expect(await auth('advisor', 'wrong', from('203.0.113.3'))).toBe(false);
    expect(await auth('advisor', 'demo', from('203.0.113.3'))).toBe(odoo.orm.uid('advisor'));
  });

  it('without X-Forwarded-Host the forwarded address is ignored: failures fall on the connecting address', async () => {
    for (let i = 0; i < 3; i++) expect(await auth('advisor', 'wrong', { 'x-forwarded-for': `198.51.100.${i}` })).toBe(false);
    expect(await auth('advisor', 'demo', { 'x-forwarded-for': '198.51.100.77' })).toBe(false);
    expect(await auth('advisor', 'demo', from('198.51.100.78'))).toBe(odoo.orm.uid('advisor'));
  });
});
