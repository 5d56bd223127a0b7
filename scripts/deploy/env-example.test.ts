import { readFileSync } from 'node:fs';
import path from 'node:path';
import { envSchema, FILE_SECRETS } from '../../bff/src/config';
import { composeInterpolations, repoRoot } from './compose-file';
import { COMPOSE_VARIABLES, envExample } from './env-example';

describe('.env.example', () => {
  const committed = readFileSync(path.join(repoRoot, '.env.example'), 'utf8');

  it('is the one generated from the env schema and docker-compose.yml (run `npx tsx scripts/deploy/env-example.ts --write`)', () => {
    expect(committed).toBe(envExample());
  });

  it('names every variable of the BFF and every variable docker-compose.yml interpolates', () => {
    const named = new Set([...committed.matchAll(/^#? ?([A-Z][A-Z0-9_]*)[=:]/gm)].map((m) => m[1]));
    for (const key of Object.keys(envSchema.shape)) expect([key, `${key}_FILE`].some((k) => named.has(k))).toBe(true);
    for (const { name } of composeInterpolations()) expect(named).toContain(name);
  });

  it('describes exactly the compose variables docker-compose.yml uses that the BFF does not read', () => {
    const used = new Set(composeInterpolations().map((i) => i.name));
    const composeOnly = [...used].filter((name) => !(name in envSchema.shape)).sort();
    expect(Object.keys(COMPOSE_VARIABLES).sort()).toEqual(composeOnly);
  });

  it('holds no secret value: secrets are files (X_FILE)', () => {
    for (const key of FILE_SECRETS) expect(committed).not.toMatch(new RegExp(`^${key}=`, 'm'));
    expect(committed).not.toMatch(/^WECHATPAY_PRIVATE_KEY=/m);
  });
});
