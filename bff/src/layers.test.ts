import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The layers of DESIGN.md §3, as imports: what sits below the HTTP edge never reaches up into it (an error with a
 * status, a route's types, the app). Read from the source with a regex, so it also holds for tests and type imports.
 */
const SRC = __dirname;
const LOWER = ['services', 'integrations', 'store', 'domain', 'jobs', 'workers', 'errors.ts'];
const EDGE = ['http', 'routes', 'app.ts', 'server.ts', 'container.ts'];

/** Every module specifier a file names: `import … from`, `export … from`, bare `import '…'`, `import('…')`, `require('…')`. */
export function specifiers(source: string): string[] {
  const found: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g;
  for (const m of source.matchAll(re)) found.push(m[2]!);
  return found;
}

function filesUnder(entry: string): string[] {
  const full = path.join(SRC, entry);
  if (entry.endsWith('.ts')) return [full];
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(full);
  } catch {
    return [];
  }
  for (const name of names) {
    const child = path.join(entry, name);
    if (name.endsWith('.ts')) out.push(path.join(SRC, child));
    else if (!name.includes('.')) out = out.concat(filesUnder(child));
  }
  return out;
}

/** The first segment below bff/src that a relative specifier lands in, or undefined for a package or outside bff/src. */
function landsIn(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const rel = path.relative(SRC, path.resolve(path.dirname(file), spec));
  if (rel.startsWith('..')) return undefined;
  const first = rel.split(path.sep)[0]!;
  return rel.includes(path.sep) ? first : `${first}.ts`;
}

describe('import boundaries', () => {
  it('the scanner sees every form of import (so the check below can fail)', () => {
    const src = [
      "import { AppError } from '../http/errors';",
      'import type {\n  Principal,\n} from "../../http/route";',
      "export { x } from './routes/a';",
      "import '../app';",
      "const m = await import('../http/problem');",
      "const r = require('../server');",
    ].join('\n');
    expect(specifiers(src)).toEqual(['../http/errors', '../../http/route', './routes/a', '../app', '../http/problem', '../server']);
    const file = path.join(SRC, 'services', 'x.service.ts');
    expect(specifiers(src).map((s) => landsIn(file, s))).toEqual(['http', undefined, 'services', 'app.ts', 'http', 'server.ts']);
  });

  it(`nothing under ${LOWER.join(', ')} imports from ${EDGE.join(', ')}`, () => {
    const files = LOWER.flatMap(filesUnder);
    expect(files.length).toBeGreaterThan(50);
    const violations: string[] = [];
    for (const file of files) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const target = landsIn(file, spec);
        if (target && EDGE.includes(target)) violations.push(`${path.relative(SRC, file)} → ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
