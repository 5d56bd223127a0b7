import { ConfigError, loadConfig } from './config';

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
});
