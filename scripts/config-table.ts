/** Prints the README's configuration table from the zod env schema: `npx tsx scripts/config-table.ts`. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { envSchema, FILE_SECRETS } from '../bff/src/config';

export function configTable(): string {
  const rows = ['| variable | default | meaning |', '|---|---|---|'];
  for (const [key, schema] of Object.entries(envSchema.shape)) {
    const s = schema as z.ZodType;
    const parsed = s.safeParse(undefined);
    const def = parsed.success ? (parsed.data === undefined ? '—' : `\`${String(parsed.data)}\``) : '**required**';
    const file = (FILE_SECRETS as readonly string[]).includes(key) ? ` Or \`${key}_FILE\`: a file holding it (compose secrets).` : '';
    rows.push(`| \`${key}\` | ${def} | ${s.description ?? ''}${file} |`);
  }
  return rows.join('\n');
}

if (require.main === module) {
  if (process.argv.includes('--write')) {
    const file = path.join(__dirname, '..', 'README.md');
    const readme = readFileSync(file, 'utf8');
    const next = readme.replace(/(<!-- config-table:start[^>]*-->\n)[\s\S]*?(\n<!-- config-table:end -->)/, `$1${configTable()}$2`);
    writeFileSync(file, next);
  } else process.stdout.write(configTable() + '\n');
}
