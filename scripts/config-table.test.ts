import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configTable } from './config-table';

describe('README configuration table', () => {
  it('is the one generated from the env schema (run `npx tsx scripts/config-table.ts` after changing config.ts)', () => {
    const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    expect(readme).toContain(configTable());
  });
});
