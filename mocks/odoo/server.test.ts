import http from 'node:http';
import { decodeMethodResponse, encodeMethodCall, type XmlRpcValue } from '../../bff/src/integrations/odoo/xmlrpc-codec';
import { startOdooMock, type OdooMock } from './server';

function post(url: string, body: string, contentType: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('startOdooMock', () => {
  let odoo: OdooMock;
  let bff: number;
  const xmlrpc = async (service: string, method: string, params: XmlRpcValue[]) =>
    decodeMethodResponse((await post(`${odoo.url}/xmlrpc/2/${service}`, encodeMethodCall(method, params), 'text/xml')).body);
  const jsonrpc = async (service: string, method: string, args: unknown[]) =>
    JSON.parse((await post(`${odoo.url}/jsonrpc`, JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id: 7 }), 'application/json')).body) as {
      id: number;
      result?: unknown;
      error?: { code: number; message: string; data: { name: string; debug: string; message: string; arguments: unknown[]; context: object } };
    };
  const kw = (model: string, method: string, args: XmlRpcValue[], kwargs: Record<string, XmlRpcValue> = {}, password = 'bff'): XmlRpcValue[] => [
    'drmoto',
    bff,
    password,
    model,
    method,
    args,
    kwargs,
  ];

  beforeAll(async () => {
    odoo = await startOdooMock({ port: 0 });
    bff = odoo.orm.uid('bff');
  });
  afterAll(() => odoo.close());
  afterEach(() => odoo.reset());

  describe('common', () => {
    it('answers version, login and authenticate on both transports', async () => {
      const version = {
        server_version: '17.0-20240709',
        server_version_info: [17, 0, 0, 'final', 0, ''],
        server_serie: '17.0',
        protocol_version: 1,
      };
      expect(await xmlrpc('common', 'version', [])).toEqual({ ok: true, value: version });
      expect((await jsonrpc('common', 'version', [])).result).toEqual(version);
      expect(await xmlrpc('common', 'login', ['drmoto', 'bff', 'bff'])).toEqual({ ok: true, value: bff });
      expect(await xmlrpc('common', 'authenticate', ['drmoto', 'bff', 'wrong', {}])).toEqual({ ok: true, value: false });
      expect(await jsonrpc('common', 'authenticate', ['drmoto', 'advisor', 'demo', {}])).toEqual({ jsonrpc: '2.0', id: 7, result: odoo.orm.uid('advisor') });
      expect((await jsonrpc('common', 'login', ['drmoto', 'admin', 'nope'])).result).toBe(false);
    });
  });

  describe('object, XML-RPC faults', () => {
    it('UserError family → faultCode 2 with the message alone', async () => {
      expect(await xmlrpc('object', 'execute_kw', kw('res.partner', 'create', [{ name: 'Twin', phone: '13800138000', drmoto_is_customer: true }]))).toEqual({
        ok: false,
        faultCode: 2,
        faultString: 'The operation cannot be completed: DRM_DUP_PHONE: another customer already has this phone number',
      });
      expect(await xmlrpc('object', 'execute_kw', kw('drmoto.vehicle', 'write', [[999999], { odometer: 1 }]))).toEqual({
        ok: false,
        faultCode: 2,
        faultString: `Record does not exist or has been deleted.\n(Record: drmoto.vehicle(999999,), User: ${bff})`,
      });
      expect(await xmlrpc('object', 'execute_kw', kw('drmoto.nothing', 'search', [[]]))).toEqual({ ok: false, faultCode: 2, faultString: "Object drmoto.nothing doesn't exist" });
    });

    it('AccessError → 4, AccessDenied → 3', async () => {
      expect(await xmlrpc('object', 'execute_kw', kw('drmoto.vehicle', '_drmoto_clean_vals', [{}]))).toEqual({
        ok: false,
        faultCode: 4,
        faultString: 'Private methods (such as _drmoto_clean_vals) cannot be called remotely.',
      });
      expect(await xmlrpc('object', 'execute_kw', kw('drmoto.vehicle', 'search_count', [[]], {}, 'wrong'))).toEqual({ ok: false, faultCode: 3, faultString: 'Access Denied' });
    });

    it('anything else → 1 with a Python traceback', async () => {
      const r = await xmlrpc('object', 'execute_kw', kw('drmoto.vehicle', 'search_read', [[['no_such_field', '=', 1]]]));
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.faultCode).toBe(1);
      expect(r.faultString).toMatch(/^Traceback \(most recent call last\):\n {2}File ".*rpc\.py", line \d+, in xmlrpc_2\n/);
      expect(r.faultString.endsWith("ValueError: Invalid field drmoto.vehicle.no_such_field in leaf ('no_such_field', '=', 1)\n")).toBe(true);
      const unknown = await xmlrpc('object', 'execute_kw', kw('drmoto.vehicle', 'no_such_method', []));
      expect(!unknown.ok && unknown.faultString).toMatch(/AttributeError: The method 'no_such_method' does not exist on the model 'drmoto.vehicle'\n$/);
    });

    it('a method returning None commits, then faults on marshalling (XML-RPC) or omits result (JSON-RPC)', async () => {
      odoo.orm.orm.register({
        name: 'x.probe',
        description: 'Probe',
        fields: { name: { type: 'char', string: 'Name' } },
        acl: { 'base.group_user': 'rwcu' },
        methods: {
          touch: {
            api: 'model',
            params: [],
            fn: (env) => {
              env.model('x.probe').create([{ name: 'touched' }]);
              return null;
            },
          },
        },
      });
      const r = await xmlrpc('object', 'execute_kw', kw('x.probe', 'touch', []));
      expect(!r.ok && r.faultCode).toBe(1);
      expect(!r.ok && r.faultString).toMatch(/TypeError: cannot marshal None unless allow_none is enabled\n$/);
      expect(await jsonrpc('object', 'execute_kw', kw('x.probe', 'touch', []))).toEqual({ jsonrpc: '2.0', id: 7 });
      expect(odoo.orm.sudo().model('x.probe')._search([]).length).toBe(2);
    });
  });

  describe('object, JSON-RPC errors', () => {
    it('keeps the exception class in error.data.name', async () => {
      const r = await jsonrpc('object', 'execute_kw', kw('drmoto.vehicle', 'create', [{ plate_no: '粤b·12345', partner_id: 1 }]));
      expect(r.error).toEqual({
        code: 200,
        message: 'Odoo Server Error',
        data: {
          name: 'odoo.exceptions.ValidationError',
          debug: expect.stringMatching(/^Traceback \(most recent call last\):\n[\s\S]*odoo\.exceptions\.ValidationError: The operation cannot be completed: DRM_DUP_PLATE: this plate is already registered in this shop\n$/),
          message: 'The operation cannot be completed: DRM_DUP_PLATE: this plate is already registered in this shop',
          arguments: ['The operation cannot be completed: DRM_DUP_PLATE: this plate is already registered in this shop'],
          context: {},
        },
      });
      expect((await jsonrpc('object', 'execute_kw', kw('drmoto.vehicle', 'search', [[]], {}, 'x'))).error?.data.name).toBe('odoo.exceptions.AccessDenied');
      expect((await jsonrpc('object', 'execute_kw', kw('drmoto.vehicle', 'search_read', [[['x', '=', 1]]]))).error?.data.name).toBe('builtins.ValueError');
    });

    it('reads with Odoo shapes', async () => {
      const r = await jsonrpc('object', 'execute_kw', kw('drmoto.vehicle', 'search_read', [[['plate_normalized', 'ilike', '粤B12345']]], { fields: ['plate_no', 'vin', 'partner_id'] }));
      expect(r.result).toEqual([{ id: 1, plate_no: '粤B12345', vin: false, partner_id: [expect.any(Number), 'Zhang San'] }]);
    });
  });

  describe('HTTP', () => {
    it('answers unknown paths with a werkzeug 404 and sets content-length', async () => {
      const r = await post(`${odoo.url}/web/nope`, '', 'text/plain');
      expect(r.status).toBe(404);
      expect(r.body).toContain('<title>404 Not Found</title>');
      expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    });

    it('pause() refuses connections until resume()', async () => {
      odoo.pause();
      await expect(xmlrpc('common', 'version', [])).rejects.toThrow();
      odoo.resume();
      expect((await xmlrpc('common', 'version', [])).ok).toBe(true);
    });

    it('delayReplies() holds the answer, not the call: a client that gives up finds the write committed', async () => {
      odoo.delayReplies(60_000);
      try {
        const body = encodeMethodCall('execute_kw', kw('res.partner', 'drmoto_upsert_customer', [{ name: 'Late Reply', phone: '13900139001' }]));
        const req = http.request(`${odoo.url}/xmlrpc/2/object`, { method: 'POST', headers: { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) } });
        let answered = false;
        req.on('response', () => (answered = true));
        req.on('error', () => undefined);
        req.end(body);
        const found = () => odoo.orm.sudo().model('res.partner')._search([['name', '=', 'Late Reply']]).length;
        for (let i = 0; i < 500 && !found(); i++) await new Promise((r) => setTimeout(r, 10));
        expect(found()).toBe(1); // committed…
        expect(answered).toBe(false); // …while the answer is held back
        req.destroy(); // the client gives up
      } finally {
        odoo.delayReplies(0);
      }
      expect((await xmlrpc('common', 'version', [])).ok).toBe(true);
    });

    it('reset() goes back to the seed', async () => {
      await xmlrpc('object', 'execute_kw', kw('res.partner', 'drmoto_upsert_customer', [{ name: 'Li Si', phone: '13900139000' }]));
      expect(odoo.orm.sudo().model('res.partner')._search([['name', '=', 'Li Si']]).length).toBe(1);
      odoo.reset();
      expect(odoo.orm.sudo().model('res.partner')._search([['name', '=', 'Li Si']]).length).toBe(0);
      expect(await xmlrpc('common', 'login', ['drmoto', 'bff', 'bff'])).toEqual({ ok: true, value: bff });
    });
  });
});
