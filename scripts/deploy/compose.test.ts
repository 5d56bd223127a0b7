import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { envSchema, FILE_SECRETS } from '../../bff/src/config';
import { composeInterpolations, environmentOf, loadCompose, readComposeText, repoRoot, stringsOf, type ComposeFile, type ComposeService } from './compose-file';

/**
 * docker-compose.yml checked without Docker: the compose specification's JSON schema (a pinned copy, see
 * docker/compose-spec.schema.md), then our own rules for the production shape (issue 24).
 */

const compose = loadCompose();
const services = Object.entries(compose.services);

/** `.env.example`'s assignments: what an operator who copied it has, before editing. */
function exampleEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path.join(repoRoot, '.env.example'), 'utf8').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1]) env[m[1]] = m[2] ?? '';
  }
  return env;
}

/** Compose's interpolation of one value with `env` (defaults, required, `$$`). */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g, (all, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (all === '$$') return '$';
    const v = env[name ?? ''];
    const unset = op?.startsWith(':') ? !v : v === undefined;
    if (op === ':-' || op === '-') return unset ? (arg ?? '') : (v as string);
    if (op === ':?' || op === '?') {
      if (unset) throw new Error(`${name}: ${arg}`);
      return v as string;
    }
    if (op === ':+' || op === '+') return unset ? '' : (arg ?? '');
    return v ?? '';
  });
}

function interpolateAll(node: unknown, env: Record<string, string>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((n) => interpolateAll(n, env));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, env)]));
  return node;
}

function schemaValidator() {
  const schema = JSON.parse(readFileSync(path.join(repoRoot, 'docker/compose-spec.schema.json'), 'utf8'));
  // Draft 07, which is ajv's own default; the file names its meta-schema by an https URL ajv does not register.
  expect(schema.$schema).toBe('https://json-schema.org/draft-07/schema');
  delete schema.$schema;
  const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
  return (doc: unknown) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

function interpolationProblems(doc: ComposeFile): string[] {
  return composeInterpolations(doc)
    .filter((i) => !i.name || !['-', ':-', '?', ':?'].includes(i.op ?? '') || ((i.op === ':?' || i.op === '?') && !i.arg?.trim()))
    .map((i) => i.raw);
}

function imageProblems(doc: ComposeFile): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(doc.services)) {
    if (!s.image) {
      problems.push(`${name}: no image`);
      continue;
    }
    // The tag an operator gets who sets nothing: defaults applied.
    const image = interpolate(s.image, {});
    const m = /^(?:[^/]+\/)*[^/:@]+:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(image);
    if (!m) problems.push(`${name}: ${image} has no tag`);
    else if (m[1] === 'latest') problems.push(`${name}: ${image} is :latest`);
  }
  return problems;
}

const names = (list: unknown): string[] =>
  Array.isArray(list) ? list.map((e) => (typeof e === 'string' ? e : (e as { source: string }).source)) : Object.keys((list as object) ?? {});

describe('docker-compose.yml', () => {
  it('is valid against the compose specification, as written and as compose interpolates it with .env.example', () => {
    const errorsOf = schemaValidator();
    expect(errorsOf(compose)).toEqual([]);
    expect(errorsOf(interpolateAll(compose, exampleEnv()))).toEqual([]);
  });

  it('lets no ${VAR} go unset silently: each has a default or fails with a message', () => {
    const found = composeInterpolations(compose);
    expect(found.length).toBeGreaterThan(10);
    expect(interpolationProblems(compose)).toEqual([]);
    // The same variable does not get two different defaults in two places.
    const defaults = new Map<string, Set<string>>();
    for (const i of found) if (i.op?.endsWith('-')) defaults.set(i.name, (defaults.get(i.name) ?? new Set()).add(i.arg ?? ''));
    expect([...defaults].filter(([, d]) => d.size > 1).map(([n]) => n)).toEqual([]);
  });

  it('refers only to services, networks, volumes and secrets it declares, and declares none it does not use', () => {
    const declared = {
      services: new Set(Object.keys(compose.services)),
      networks: new Set(Object.keys(compose.networks ?? {})),
      volumes: new Set(Object.keys(compose.volumes ?? {})),
      secrets: new Set(Object.keys(compose.secrets ?? {})),
    };
    const used = { networks: new Set<string>(), volumes: new Set<string>(), secrets: new Set<string>() };
    const problems: string[] = [];
    for (const [name, s] of services) {
      for (const dep of names(s.depends_on)) if (!declared.services.has(dep)) problems.push(`${name}: depends_on ${dep}`);
      for (const net of names(s.networks)) {
        used.networks.add(net);
        if (!declared.networks.has(net)) problems.push(`${name}: network ${net}`);
      }
      for (const secret of names(s.secrets)) {
        used.secrets.add(secret);
        if (!declared.secrets.has(secret)) problems.push(`${name}: secret ${secret}`);
      }
      for (const v of s.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0] ?? '' : v.source ?? '';
        if (source.startsWith('.') || source.startsWith('/')) {
          if (!existsSync(path.join(repoRoot, source))) problems.push(`${name}: bind mount ${source} does not exist`);
        } else {
          used.volumes.add(source);
          if (!declared.volumes.has(source)) problems.push(`${name}: volume ${source}`);
        }
      }
      if (!s.networks) problems.push(`${name}: no networks (it would join the default network)`);
    }
    for (const kind of ['networks', 'volumes', 'secrets'] as const) {
      for (const n of declared[kind]) if (!used[kind].has(n)) problems.push(`${kind} ${n} is declared but unused`);
    }
    expect(problems).toEqual([]);
  });

  it('waits on what it depends on: healthchecks for service_healthy, one-shots for service_completed_successfully', () => {
    const problems: string[] = [];
    for (const [name, s] of services) {
      if (Array.isArray(s.depends_on)) problems.push(`${name}: depends_on without conditions`);
      for (const [dep, { condition } = {}] of Object.entries((s.depends_on as Record<string, { condition?: string }>) ?? {})) {
        const target = compose.services[dep] as ComposeService;
        if (condition === 'service_healthy' && !target.healthcheck) problems.push(`${name}: ${dep} has no healthcheck`);
        if (condition === 'service_completed_successfully' && target.restart !== 'no') problems.push(`${name}: ${dep} is not a one-shot`);
      }
    }
    expect(problems).toEqual([]);
    expect(compose.services.bff?.depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
    expect(compose.services['bff-worker']?.depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
  });

  it('pins every image by a tag (no :latest, no untagged), defaults included', () => {
    expect(imageProblems(compose)).toEqual([]);
    expect(readComposeText()).not.toMatch(/minio\/minio:latest|minio\/mc:latest|docker\.io\/minio/);
  });

  it('publishes ports from the proxy only, and nothing runs on the host network', () => {
    const publishing = services.filter(([, s]) => s.ports?.length).map(([n]) => n);
    expect(publishing).toEqual(['proxy']);
    expect(services.filter(([, s]) => s.network_mode).map(([n]) => n)).toEqual([]);
    expect((compose.networks as Record<string, { internal?: boolean }>).backend).toEqual({ internal: true });
    for (const [name, s] of services) {
      if (['db', 'odoo-db', 'redis', 'migrate', 'storage-init'].includes(name)) expect([name, names(s.networks)]).toEqual([name, ['backend']]);
    }
  });

  it('reads env_file from .env, which .env.example documents and git ignores; secrets from git-ignored files', () => {
    const gitignore = readFileSync(path.join(repoRoot, '.gitignore'), 'utf8').split('\n');
    for (const [name, s] of services) {
      const files = s.env_file === undefined ? [] : (Array.isArray(s.env_file) ? s.env_file : [s.env_file]).map((f) => (typeof f === 'string' ? f : f.path));
      for (const f of files) {
        if (f === '.env') expect([name, existsSync(path.join(repoRoot, '.env.example'))]).toEqual([name, true]);
        else expect([name, f, existsSync(path.join(repoRoot, f))]).toEqual([name, f, true]);
      }
    }
    expect(gitignore).toContain('.env');
    expect(gitignore).toContain('secrets/');
    for (const [name, secret] of Object.entries(compose.secrets ?? {})) expect([name, secret.file]).toEqual([name, `./secrets/${name}`]);
  });

  it('runs the BFF as the app role: the owner URL only in migrate, every secret a file the service is given', () => {
    for (const name of ['bff', 'bff-worker']) {
      const s = compose.services[name] as ComposeService;
      const env = environmentOf(s);
      expect(names(s.secrets)).not.toContain('bff_database_migration_url');
      expect(Object.keys(env).filter((k) => k.startsWith('DATABASE_MIGRATION_URL'))).toEqual([]);
      expect(env).toMatchObject({ NODE_ENV: 'production', TRUST_PROXY: '1', DATABASE_URL_FILE: '/run/secrets/bff_database_url' });
      // No secret inline: each listed secret comes as X_FILE pointing at a secret this service has.
      // (A URL without credentials, like REDIS_URL on the internal network, holds no secret.)
      for (const key of FILE_SECRETS) {
        const inline = env[key];
        if (inline !== undefined) expect([name, key, /^[a-z]+:\/\/[^/@]*(\/.*)?$/.test(inline)]).toEqual([name, key, true]);
      }
      for (const [key, value] of Object.entries(env).filter(([k]) => k.endsWith('_FILE'))) {
        expect(value).toMatch(/^\/run\/secrets\//);
        expect(names(s.secrets)).toContain(value.slice('/run/secrets/'.length));
        expect(key.slice(0, -'_FILE'.length) in envSchema.shape).toBe(true);
      }
    }
    expect(environmentOf(compose.services.bff as ComposeService).BFF_ROLE).toBe('api');
    expect(environmentOf(compose.services['bff-worker'] as ComposeService).BFF_ROLE).toBe('worker');
    expect(names(compose.services.migrate?.secrets)).toEqual(['bff_database_migration_url']);
    expect(stringsOf(compose.services.migrate?.command).join(' ')).toMatch(/npm run migrate/);
    // Every BFF variable compose sets is one the BFF reads (a typo would be silently ignored).
    for (const key of Object.keys(environmentOf(compose.services.bff as ComposeService))) {
      const known = key in envSchema.shape || (key.endsWith('_FILE') && key.slice(0, -5) in envSchema.shape) || key === 'BFF_ROLE';
      expect([key, known]).toEqual([key, true]);
    }
  });

  it("keeps Odoo off the ledger's cluster and not a superuser, with the websocket port the proxy routes to", () => {
    const odoo = compose.services.odoo as ComposeService;
    expect(environmentOf(odoo)).toMatchObject({ HOST: 'odoo-db', PASSWORD_FILE: '/run/secrets/odoo_db_password' });
    expect(environmentOf(compose.services.db as ComposeService).POSTGRES_USER).toBe('postgres');
    expect(environmentOf(compose.services['odoo-db'] as ComposeService).POSTGRES_USER).toBe('postgres');
    expect(names(compose.services.db?.secrets)).not.toContain('odoo_db_password');
    expect(odoo.image).toBe('odoo:${ODOO_IMAGE_TAG:-18.0}');
    expect(stringsOf(odoo.command).join(' ')).toMatch(/--workers=/);
    expect(readFileSync(path.join(repoRoot, 'docker/odoo/odoo.conf'), 'utf8')).toMatch(/^gevent_port = 8072$/m);
    expect(readFileSync(path.join(repoRoot, 'docker/caddy/Caddyfile'), 'utf8')).toMatch(/handle \/websocket\* \{\s*reverse_proxy \{\$ODOO_WS_UPSTREAM:odoo:8072\}/);
  });

  it("lets the media host's body limit exceed the largest MEDIA_MAX_BYTES the BFF accepts", () => {
    const caddyfile = readFileSync(path.join(repoRoot, 'docker/caddy/Caddyfile'), 'utf8');
    const media = caddyfile.slice(caddyfile.indexOf('{$MEDIA_SITE}'));
    const m = /max_size (\d+)MiB/.exec(media);
    expect(m).not.toBeNull();
    const largest = envSchema.shape.MEDIA_MAX_BYTES.safeParse(String(2 ** 31 - 1));
    expect(largest.success).toBe(true);
    expect(envSchema.shape.MEDIA_MAX_BYTES.safeParse(String(2 ** 31)).success).toBe(false);
    expect(Number(m?.[1]) * 1024 * 1024).toBeGreaterThan(2 ** 31 - 1 + 1024 * 1024);
  });

  it('finds the problems it is meant to find (the checks above on a broken copy)', () => {
    const broken = loadCompose(
      readComposeText()
        .replace('image: redis:7.4-bookworm', 'image: redis')
        .replace('image: caddy:2.10-alpine', 'image: caddy:latest')
        .replace('${POSTGRES_IMAGE_TAG:-17-bookworm}', '${POSTGRES_IMAGE_TAG}')
        .replace('${ACME_EMAIL:?set ACME_EMAIL (Let\'s Encrypt account e-mail)}', '${ACME_EMAIL:?}')
        .replace('stop_grace_period: 30s', 'stop_grace_periode: 30s'),
    );
    expect(imageProblems(broken)).toEqual(['proxy: caddy:latest is :latest', 'db: postgres: has no tag', 'redis: redis has no tag']);
    expect(interpolationProblems(broken)).toEqual(['${ACME_EMAIL:?}', '${POSTGRES_IMAGE_TAG}']);
    expect(schemaValidator()(broken)).toEqual(expect.arrayContaining(['/services/bff-worker must NOT have additional properties']));
  });
});
