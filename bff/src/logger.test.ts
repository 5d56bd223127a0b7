import { Writable } from 'node:stream';
import { createLogger, maskText, maskValue } from './logger';
import { requestContext } from './context';

describe('log masking', () => {
  it('masks phones, openids, tokens and secrets by key', () => {
    expect(
      maskValue({ phone: '13800138000', openid: 'oAbCdEfGhIjKlMnOpQrStUvWxYz12', access_token: 'abc', password: 'p', nested: { ODOO_PASSWORD: 'x', api_key: 'k' } }),
    ).toEqual({ phone: '138****8000', openid: 'oAbC****Yz12', access_token: '****', password: '****', nested: { ODOO_PASSWORD: '****', api_key: '****' } });
  });

  it('masks PII inside free text', () => {
    expect(maskText('call 13800138000 or +8613800138000')).toBe('call 138****8000 or +86138****8000');
    expect(maskText('Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc-def')).toBe('Bearer ****');
    expect(maskText('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc-def')).toBe('token eyJ****');
    expect(maskText('order 20261122000001234')).toBe('order 20261122000001234');
  });

  it('writes JSON lines with the trace id of the current request', () => {
    const lines: string[] = [];
    const logger = createLogger({ stream: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) });
    requestContext.run({ traceId: 'trace-xyz' }, () => logger.info('hello', { phone: '13900139000', secret_note: 's' }));
    const line = JSON.parse(lines[0]!);
    expect(line).toEqual(expect.objectContaining({ message: 'hello', trace_id: 'trace-xyz', phone: '139****9000', level: 'info' }));
    expect(line.secret_note).toBe('****');
  });
});
