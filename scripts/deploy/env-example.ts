/**
 * Generates .env.example — the `.env` of docker-compose.yml — from the BFF's env schema (bff/src/config.ts), the
 * compose file (what it sets itself, its `${VAR}` defaults, its secrets) and the compose-only variables described
 * below. `npx tsx scripts/deploy/env-example.ts --write`; scripts/deploy/env-example.test.ts fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { envSchema, FILE_SECRETS } from '../../bff/src/config';
import { composeInterpolations, environmentOf, loadCompose, repoRoot } from './compose-file';

/** Variables only docker-compose.yml reads (interpolation): what each is, and an example for the required ones. */
export const COMPOSE_VARIABLES: Record<string, { meaning: string; example?: string }> = {
  DRMOTO_API_HOST: { meaning: 'Public host name of the BFF API (mini-program, staff apps, webhooks); Caddy gets its TLS certificate.', example: 'api.example.com' },
  DRMOTO_ODOO_HOST: { meaning: "Public host name of Odoo's web client.", example: 'odoo.example.com' },
  DRMOTO_MEDIA_HOST: { meaning: 'Public host name of the media storage: presigned uploads and signed downloads go there (register it as uploadFile/downloadFile domain of the mini-program).', example: 'media.example.com' },
  ACME_EMAIL: { meaning: "E-mail of the ACME (Let's Encrypt) account: expiry notices.", example: 'ops@example.com' },
  TLS_MODE: { meaning: '`acme`: public certificates (the three hosts must resolve here, ports 80/443 reachable); `internal`: Caddy\'s own CA, for a LAN trial.' },
  BFF_IMAGE_TAG: { meaning: 'Tag of the BFF image built from this checkout (drmoto-bff:<tag>).' },
  POSTGRES_IMAGE_TAG: { meaning: "PostgreSQL image of the BFF store (`db`). An old volume made by postgres:15 needs `15-bookworm` until it is dumped and restored (README)." },
  ODOO_POSTGRES_IMAGE_TAG: { meaning: "PostgreSQL image of Odoo's cluster (`odoo-db`)." },
  ODOO_IMAGE_TAG: { meaning: 'Odoo image tag: the series (18.0), or a dated build (18.0-YYYYMMDD) to pin one nightly.' },
  ODOO_DB_USER: { meaning: "Odoo's PostgreSQL role in its own cluster (CREATEDB only; its password: secrets/odoo_db_password)." },
  ODOO_WORKERS: { meaning: 'Odoo HTTP worker processes (prefork); the websocket has its own port behind the proxy.' },
  MEDIA_CORS_ORIGINS: { meaning: 'Browser origins allowed to upload to and download from the storage (comma-separated, or *). The mini-program does not use CORS.' },
};

/** Example values of BFF variables: written as set (`set: true`, needed in production) or as a commented example. */
const EXAMPLES: Record<string, { value: string; set: boolean }> = {
  ODOO_USER: { value: 'bff', set: true },
  ODOO_DB: { value: 'drmoto', set: true },
  WECHAT_APPID: { value: 'wx0000000000000000', set: true },
  S3_ACCESS_KEY_ID: { value: 'drmoto-bff', set: true },
  WECHATPAY_MCHID: { value: '1900000109', set: false },
  WECHATPAY_MERCHANT_SERIAL: { value: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1', set: false },
  WECHATPAY_NOTIFY_URL: { value: 'https://api.example.com/api/v1/webhooks/wechatpay', set: false },
};

/** What to say instead of a value, for variables the compose shape gives to one service only. */
const NOTES: Record<string, string> = {
  DATABASE_MIGRATION_URL: 'only the one-shot `migrate` service has it (secrets/bff_database_migration_url), never a BFF process',
};

const comment = (text: string): string[] => wrap(text, 116).map((line) => `# ${line}`);

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

export function envExample(): string {
  const compose = loadCompose();
  const bffEnv = environmentOf(compose.services.bff ?? {});
  const secrets = new Set(Object.keys(compose.secrets ?? {}));
  const defaults = new Map<string, string>();
  const required = new Set<string>();
  for (const i of composeInterpolations(compose)) {
    if (i.op === ':-' || i.op === '-') defaults.set(i.name, i.arg ?? '');
    if (i.op === ':?' || i.op === '?') required.add(i.name);
  }
  const secretFile = (key: string): string | undefined => (secrets.has(key.toLowerCase()) ? `/run/secrets/${key.toLowerCase()}` : undefined);
  const shape = envSchema.shape as Record<string, z.ZodType>;

  const valueLine = (key: string, def: string | undefined): string => {
    const fixed = bffEnv[key];
    if (NOTES[key]) return `# ${key}: ${NOTES[key]}`;
    if (fixed !== undefined && !fixed.includes(`\${${key}`)) return `# ${key}: set by docker-compose.yml (${fixed})`;
    if (bffEnv[`${key}_FILE`] !== undefined) return `# ${key}: a secret, read from ${bffEnv[`${key}_FILE`]} (docker-compose.yml sets ${key}_FILE)`;
    const secretOf = key.endsWith('_FILE') ? key.slice(0, -'_FILE'.length) : undefined;
    if (secretOf && shape[secretOf]) return `#${key}=${secretFile(secretOf) ?? ''}`;
    if ((FILE_SECRETS as readonly string[]).includes(key)) return `#${key}_FILE=${secretFile(key) ?? ''}`;
    if (shape[`${key}_FILE`]) return `# ${key}: a secret; use ${key}_FILE`;
    const example = EXAMPLES[key];
    if (example) return `${example.set ? '' : '#'}${key}=${example.value}`;
    if (required.has(key) || (def === undefined && !shape[key]?.safeParse(undefined).success)) return `${key}=`;
    return `#${key}=${def ?? defaults.get(key) ?? ''}`;
  };

  const out: string[] = [
    '# The `.env` of docker-compose.yml: `cp .env.example .env`, then edit. Compose reads it twice — for the ${…} in',
    "# docker-compose.yml, and as the BFF's env_file — so every variable of bff/src/config.ts can be set here.",
    '# Secrets are not set here: they are files under secrets/ (README, "Production with docker compose").',
    '# Generated by `npx tsx scripts/deploy/env-example.ts --write` from bff/src/config.ts, docker-compose.yml and',
    '# scripts/deploy/env-example.ts; `npm test` fails when this file is stale.',
    '',
    '### docker-compose.yml',
  ];
  for (const [key, v] of Object.entries(COMPOSE_VARIABLES)) {
    out.push('', ...comment(`${v.meaning}${required.has(key) ? ' Required.' : ''}`));
    if (required.has(key)) out.push(`${key}=${v.example ?? ''}`);
    else out.push(`#${key}=${defaults.get(key) ?? ''}`);
  }

  out.push('', '### The BFF (bff/src/config.ts); a commented line shows the default');
  for (const [key, schema] of Object.entries(envSchema.shape)) {
    const s = schema as z.ZodType;
    const parsed = s.safeParse(undefined);
    const def = parsed.success && parsed.data !== undefined ? String(parsed.data) : undefined;
    out.push('', ...comment(s.description ?? ''));
    out.push(valueLine(key, def));
  }
  return `${out.join('\n')}\n`;
}

if (require.main === module) {
  if (process.argv.includes('--write')) writeFileSync(path.join(repoRoot, '.env.example'), envExample());
  else process.stdout.write(envExample());
}
