import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, envSchema, FILE_SECRETS, loadConfig, readSecretFiles } from './config';

const good = { ODOO_URL: 'http://odoo:8069', ODOO_DB: 'drmoto', ODOO_USER: 'bff', ODOO_PASSWORD: 'x', JWT_SECRET: 'a'.repeat(32) };

describe(loadConfig.name, () => {
  it('parses a minimal environment with defaults', () => {
    const c = loadConfig(good);
    expect(c.http.port).toBe(3000);
    expect(c.odoo.transport).toBe('jsonrpc');
    expect(c.store.databaseUrl).toBeUndefined();
    expect(c.queue.redisUrl).toBeUndefined();
  });

  it('lists every bad variable at once', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'abc', ODOO_URL: 'ftp://x', JWT_SECRET: 'short', REDIS_URL: 'http://nope', ODOO_TRANSPORT: 'soap' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const keys = err!.problems.map((p) => p.split(':')[0]);
    expect(keys).toEqual(expect.arrayContaining(['PORT', 'ODOO_URL', 'ODOO_DB', 'ODOO_USER', 'ODOO_PASSWORD', 'JWT_SECRET', 'REDIS_URL', 'ODOO_TRANSPORT']));
    expect(err!.message).toMatch(/ODOO_DB: is required/);
  });

  it('treats empty strings as unset and requires WECHAT_SECRET in production', () => {
    expect(loadConfig({ ...good, REDIS_URL: '' }).queue.redisUrl).toBeUndefined();
    expect(() => loadConfig({ ...good, NODE_ENV: 'production' })).toThrow(/WECHAT_SECRET/);
  });

  it('uses DATABASE_URL for migrations unless DATABASE_MIGRATION_URL is set', () => {
    expect(loadConfig({ ...good, DATABASE_URL: 'postgres://app@h/db' }).store.migrationUrl).toBe('postgres://app@h/db');
    expect(loadConfig({ ...good, DATABASE_URL: 'postgres://app@h/db', DATABASE_MIGRATION_URL: 'postgres://owner@h/db' }).store.migrationUrl).toBe('postgres://owner@h/db');
  });

  describe('production', () => {
    const prod = { ...good, NODE_ENV: 'production', WECHAT_SECRET: 's' };

    it('refuses to start without DATABASE_URL and REDIS_URL, naming both', () => {
      let err: ConfigError | undefined;
      try {
        loadConfig(prod);
      } catch (e) {
        err = e as ConfigError;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(err!.problems).toEqual([
        'DATABASE_URL: is required in production (no PGlite fallback)',
        'REDIS_URL: is required in production (no in-process queue fallback)',
      ]);
    });

    it('refuses a half-configured start (one of the two missing)', () => {
      expect(() => loadConfig({ ...prod, DATABASE_URL: 'postgres://app@h/db' })).toThrow(/REDIS_URL: is required in production/);
      expect(() => loadConfig({ ...prod, REDIS_URL: 'redis://r:6379', DATABASE_URL: '' })).toThrow(/DATABASE_URL: is required in production/);
    });

    it('starts with both', () => {
      const c = loadConfig({ ...prod, DATABASE_URL: 'postgres://app@h/db', REDIS_URL: 'redis://r:6379' });
      expect(c.env).toBe('production');
      expect(c.store.databaseUrl).toBe('postgres://app@h/db');
      expect(c.queue.redisUrl).toBe('redis://r:6379');
    });
  });

  describe('BFF_ROLE', () => {
    it('defaults to all', () => {
      expect(loadConfig(good).role).toBe('all');
    });

    it('takes api and worker, which need Redis', () => {
      expect(loadConfig({ ...good, BFF_ROLE: 'api', REDIS_URL: 'redis://r:6379' }).role).toBe('api');
      expect(loadConfig({ ...good, BFF_ROLE: 'worker', REDIS_URL: 'redis://r:6379' }).role).toBe('worker');
      expect(() => loadConfig({ ...good, BFF_ROLE: 'worker' })).toThrow(/REDIS_URL: is required with BFF_ROLE=worker/);
    });

    it('refuses anything else', () => {
      expect(() => loadConfig({ ...good, BFF_ROLE: 'both' })).toThrow(/BFF_ROLE/);
    });
  });
});

describe(readSecretFiles.name, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'config-secrets-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const secret = (name: string, content: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  it('reads every listed secret from X_FILE, without the trailing newline', () => {
    const env: Record<string, string> = { ...good };
    delete env.ODOO_PASSWORD;
    delete env.JWT_SECRET;
    const c = loadConfig({
      ...env,
      ODOO_PASSWORD_FILE: secret('odoo', 'api-key-from-file\n'),
      JWT_SECRET_FILE: secret('jwt', `${'j'.repeat(40)}\r\n`),
      DATABASE_URL_FILE: secret('db', 'postgres://bff_app:pw@db:5432/bff\n'),
      DATABASE_MIGRATION_URL_FILE: secret('dbo', 'postgres://bff_owner:pw2@db:5432/bff'),
      REDIS_URL_FILE: secret('redis', 'redis://:pw@redis:6379\n'),
      WECHAT_SECRET_FILE: secret('wx', 'wx-secret\n'),
      STRIPE_SECRET_KEY_FILE: secret('sk', 'sk_test_abc123\n'),
      STRIPE_WEBHOOK_SECRET_FILE: secret('whsec', 'whsec_abc123\n'),
      S3_BUCKET: 'drmoto-media',
      S3_ACCESS_KEY_ID: 'bff',
      S3_SECRET_ACCESS_KEY_FILE: secret('s3', 's3-secret\n'),
    });
    expect(c.odoo.password).toBe('api-key-from-file');
    expect(c.jwt.secret).toBe('j'.repeat(40));
    expect(c.store).toMatchObject({ databaseUrl: 'postgres://bff_app:pw@db:5432/bff', migrationUrl: 'postgres://bff_owner:pw2@db:5432/bff' });
    expect(c.queue.redisUrl).toBe('redis://:pw@redis:6379');
    expect(c.wechat.secret).toBe('wx-secret');
    expect(c.stripe).toMatchObject({ secretKey: 'sk_test_abc123', webhookSecret: 'whsec_abc123' });
    expect(c.media?.credentials).toEqual({ accessKeyId: 'bff', secretAccessKey: 's3-secret' });
  });

  it('keeps only one trailing newline off: inner newlines and spaces are part of the secret', () => {
    const { env } = readSecretFiles({ WECHATPAY_APIV3_KEY_FILE: secret('v3', ' a b\n\n') });
    expect(env.WECHATPAY_APIV3_KEY).toBe(' a b\n');
    expect(env.WECHATPAY_APIV3_KEY_FILE).toBeUndefined();
  });

  it('refuses X and X_FILE both set, naming the variable and not the value', () => {
    expect(() => loadConfig({ ...good, JWT_SECRET_FILE: secret('jwt2', 'k'.repeat(40)) })).toThrow(
      /JWT_SECRET: set either JWT_SECRET or JWT_SECRET_FILE, not both/,
    );
  });

  it('names an unreadable or empty file once, without a second "is required" for the variable', () => {
    const env: Record<string, string> = { ...good };
    delete env.ODOO_PASSWORD;
    delete env.JWT_SECRET;
    let err: ConfigError | undefined;
    try {
      loadConfig({ ...env, ODOO_PASSWORD_FILE: path.join(dir, 'missing'), JWT_SECRET_FILE: secret('empty', '\n') });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toEqual([`ODOO_PASSWORD_FILE: cannot read ${path.join(dir, 'missing')} (ENOENT)`, `JWT_SECRET_FILE: ${path.join(dir, 'empty')} is empty`]);
  });

  it('leaves variables outside the list alone: a _FILE of a non-secret is not read', () => {
    const read = jest.fn(() => 'x');
    const { env } = readSecretFiles({ ODOO_URL_FILE: '/etc/passwd', S3_ACCESS_KEY_ID_FILE: '/x' }, read);
    expect(read).not.toHaveBeenCalled();
    expect(env).toEqual({ ODOO_URL_FILE: '/etc/passwd', S3_ACCESS_KEY_ID_FILE: '/x' });
  });

  it('names only variables of the schema, and not the private key that has its own _FILE variable', () => {
    for (const key of FILE_SECRETS) expect(Object.keys(envSchema.shape)).toContain(key);
    expect(FILE_SECRETS).not.toContain('WECHATPAY_PRIVATE_KEY');
    expect(Object.keys(envSchema.shape)).toContain('WECHATPAY_PRIVATE_KEY_FILE');
  });
});
