/** Prints the README's configuration table from the zod env schema: `npx tsx scripts/config-table.ts`. */
import { z } from 'zod';
import { envSchema } from '../bff/src/config';

export function configTable(): string {
  const rows = ['| variable | default | meaning |', '|---|---|---|'];
  for (const [key, schema] of Object.entries(envSchema.shape)) {
    const s = schema as z.ZodType;
    const parsed = s.safeParse(undefined);
    const def = parsed.success ? (parsed.data === undefined ? '—' : `\`${String(parsed.data)}\``) : '**required**';
    rows.push(`| \`${key}\` | ${def} | ${s.description ?? ''} |`);
  }
  return rows.join('\n');
}

if (require.main === module) process.stdout.write(configTable() + '\n');
