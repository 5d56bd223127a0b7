import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `npm run demo` end to end: what the README's curl walk-through does, against the real demo process. */
describe('npm run demo', () => {
  let child: ChildProcess;
  let url: string;
  let output = '';

  beforeAll(async () => {
    child = spawn(process.execPath, [require.resolve('tsx/cli'), 'scripts/demo.ts'], {
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, PORT: '0', ODOO_MOCK_PORT: '0', S3_MOCK_PORT: '0', DEMO_PUBLIC_HOST: '127.0.0.9', PAYMENT_TIMING: 'after_confirm', S3_PUBLIC_ENDPOINT: '', DEMO_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'demo-')), DATABASE_URL: '', REDIS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not start:\n${output}`)), 60_000);
      const onData = (b: Buffer) => {
        output += b.toString();
        const m = output.match(/BFF\s+(http:\/\/127\.0\.0\.1:\d+)/);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
      child.once('exit', (code) => reject(new Error(`demo exited with ${code}:\n${output}`)));
    });
  }, 70_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('prints the URLs and the demo logins', () => {
    expect(output).toMatch(/Odoo mock\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toMatch(/advisor, technician, keeper, cashier, manager/);
  });

  it('presigns media for the address phones use (DEMO_PUBLIC_HOST), and lets the page load from it', async () => {
    expect(output).toMatch(/On a phone\s+http:\/\/127\.0\.0\.9:\d+\/demo\/\s+\(same Wi-Fi; photos are presigned for http:\/\/127\.0\.0\.9:\d+\)/);
    const s3 = /presigned for (http:\/\/127\.0\.0\.9:\d+)/.exec(output)?.[1] ?? "none";
    const csp = (await fetch(`${url}/demo/`)).headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(new RegExp(`img-src [^;]*${s3.replace(/[.]/g, '\\.')}`));
  });

  it('tells the page the shop\'s payment timing (PAYMENT_TIMING)', async () => {
    const res = await fetch(`${url}/demo/shop`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ pay_at: 'after_confirm' });
  });

  it('serves /healthz, a staff login, a customer upsert and a vehicle create', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const post = (p: string, body: unknown, token?: string) =>
      fetch(url + p, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    const login = await post('/api/v1/auth/staff/login', { login: 'advisor', password: 'demo' });
    expect(login.status).toBe(200);
    const { access_token } = (await login.json()) as { access_token: string };
    const customer = await post('/api/v1/customers', { name: 'Li Si', phone: '+86 139-0013-9000' }, access_token);
    expect(customer.status).toBe(201);
    const { id } = (await customer.json()) as { id: number };
    const vehicle = await post('/api/v1/vehicles', { customer_id: id, plate_no: '粤B·88888', brand: 'Honda' }, access_token);
    expect(vehicle.status).toBe(201);
    expect(((await vehicle.json()) as { plate_normalized: string }).plate_normalized).toBe('粤B88888');
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('PAYMENT_TIMING', () => {
  it('is pickup by default, after_confirm when asked, and refuses anything else', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { payAtFrom } = require('./demo-stack') as typeof import('./demo-stack');
    expect(payAtFrom(undefined)).toBe('pickup');
    expect(payAtFrom('')).toBe('pickup');
    expect(payAtFrom('after_confirm')).toBe('after_confirm');
    expect(() => payAtFrom('before_repair')).toThrow(/PAYMENT_TIMING must be one of pickup, after_confirm/);
  });
});
