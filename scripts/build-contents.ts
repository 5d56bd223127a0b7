/**
 * What the production build (`npm run build` → dist/) may hold: the server, the operator's scripts and the
 * migrations, nothing from mocks/, e2e/ or the tests. Checked by scripts/build-contents.test.ts on a fresh build and
 * by the production smoke test on the tree it lays out like the Dockerfile.
 */
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Entry points the image runs (`npm start`, `npm run migrate`, `ledger:verify`, `reconcile`). */
export const BUILD_ENTRIES = ['bff/src/server.js', 'scripts/migrate.js', 'scripts/ledger-verify.js', 'scripts/reconcile.js'];

const FORBIDDEN: Array<[RegExp, string]> = [
  [/^mocks\//, 'a mock'],
  [/^e2e\//, 'a browser test'],
  [/^bff\/test\//, 'a test or test helper'],
  [/\.(test|spec|testing)\.js$/, 'a test or test helper'],
  [/(^|\/)testing\.js$/, 'a test helper'],
];

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? walk(full, base) : [path.relative(base, full).split(path.sep).join('/')];
  });
}

const packageOf = (spec: string): string => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec));

/** Every problem with the tree at `distDir`, given the production `dependencies`; empty when it is right. */
export function inspectBuild(distDir: string, dependencies: Record<string, string>): string[] {
  const files = walk(distDir);
  const problems: string[] = [];
  for (const entry of BUILD_ENTRIES) {
    if (!files.includes(entry)) problems.push(`${entry}: missing`);
  }
  if (!files.some((f) => /^bff\/src\/store\/migrations\/0001_[a-z0-9_]+\.sql$/.test(f))) problems.push('bff/src/store/migrations: missing');
  for (const file of files) {
    const bad = FORBIDDEN.find(([re]) => re.test(file));
    if (bad) problems.push(`${file}: ${bad[1]} in the production build`);
    if (file.startsWith('scripts/') && !BUILD_ENTRIES.includes(file.replace(/\.map$/, ''))) problems.push(`${file}: not a production script`);
    if (!file.endsWith('.js')) continue;
    // Everything the built code loads must be a Node builtin or a production dependency (the image prunes dev ones).
    const source = readFileSync(path.join(distDir, file), 'utf8');
    for (const [, spec] of source.matchAll(/(?:require\(|import\()\s*["']([^"']+)["']\s*\)/g)) {
      if (!spec || spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      if (!(packageOf(spec) in dependencies)) problems.push(`${file}: loads ${spec}, which is not a production dependency`);
    }
  }
  return problems;
}
