import { AppError } from '../../errors';
import { OdooUnavailableError, faultToAppError } from './errors';
import { MeteredTransport, type OdooTransport } from './transport';

describe(MeteredTransport.name, () => {
  const calls: Array<[string, string, number, string | undefined]> = [];
  const metrics = { odooCall: (model: string, method: string, s: number, fault?: string) => void calls.push([model, method, s, fault]) };
  let answer: () => Promise<unknown>;
  const inner: OdooTransport = { name: 'jsonrpc', call: () => answer(), close: () => undefined };
  const sut = new MeteredTransport(inner, metrics);
  const execute = (model: string, method: string) => sut.call('object', 'execute_kw', ['db', 2, 'pw', model, method, [[]], {}], 1000);

  beforeEach(() => {
    calls.length = 0;
  });

  it('times a call by the model and method it runs, or `common` for login and version', async () => {
    answer = async () => 7;
    await expect(execute('drmoto.work.order', 'search_read')).resolves.toBe(7);
    await sut.call('common', 'authenticate', ['db', 'bff', 'pw', {}], 1000);
    expect(calls).toEqual([
      ['drmoto.work.order', 'search_read', expect.any(Number), undefined],
      ['common', 'authenticate', expect.any(Number), undefined],
    ]);
  });

  it.each([
    ['timeout', new OdooUnavailableError('timeout', 'late')],
    ['connection', new OdooUnavailableError('connection', 'refused')],
    ['busy', faultToAppError({ transport: 'jsonrpc', name: 'psycopg2.errors.SerializationFailure', message: 'x' })],
    ['auth', faultToAppError({ transport: 'xmlrpc', faultCode: 3, message: 'Access Denied' })],
    ['server', faultToAppError({ transport: 'jsonrpc', name: 'builtins.KeyError', message: 'boom' })],
    ['refused', faultToAppError({ transport: 'jsonrpc', name: 'odoo.exceptions.UserError', message: 'DRM_WO_STATE: work order is closed' })],
    ['other', new TypeError('decoder bug')],
  ])('counts a %s fault and passes the error on unchanged', async (kind, err) => {
    answer = () => Promise.reject(err);
    await expect(execute('drmoto.work.order', 'action_close')).rejects.toBe(err);
    expect(calls).toEqual([['drmoto.work.order', 'action_close', expect.any(Number), kind]]);
    if (kind !== 'other') expect(err).toBeInstanceOf(AppError);
  });
});
