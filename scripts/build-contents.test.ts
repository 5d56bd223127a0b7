import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BUILD_ENTRIES, inspectBuild } from './build-contents';

const run = promisify(execFile);
const root = path.join(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

describe('inspectBuild', () => {
  let dir: string;
  const put = (file: string, text = '') => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'drmoto-build-'));
    for (const entry of BUILD_ENTRIES) put(entry, 'require("./x");');
    put('bff/src/store/migrations/0001_init.sql', 'SELECT 1;');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the entries, the migrations and production dependencies', () => {
    put('bff/src/app.js', 'const e = require("express"); require("node:fs"); require("fs");');
    expect(inspectBuild(dir, { express: '^5' })).toEqual([]);
  });

  it('names mocks, tests, test helpers, stray scripts, dev dependencies and missing entries', () => {
    rmSync(path.join(dir, 'bff/src/server.js'));
    put('mocks/odoo/server.js');
    put('bff/src/store/ledger.test.js');
    put('bff/src/jobs/job-queue.spec.js');
    put('bff/src/store/testing.js');
    put('mocks/odoo/models/fails.testing.js');
    put('bff/test/support/test-db.js');
    put('scripts/demo.js');
    put('bff/src/http/x.js', 'require("supertest"); import("@types/node/fs")');
    expect(inspectBuild(dir, { express: '^5' }).sort()).toEqual(
      [
        'bff/src/server.js: missing',
        'mocks/odoo/server.js: a mock in the production build',
        'bff/src/store/ledger.test.js: a test or test helper in the production build',
        'bff/src/jobs/job-queue.spec.js: a test or test helper in the production build',
        'bff/src/store/testing.js: a test helper in the production build',
        'mocks/odoo/models/fails.testing.js: a mock in the production build',
        'bff/test/support/test-db.js: a test or test helper in the production build',
        'scripts/demo.js: not a production script',
        'bff/src/http/x.js: loads supertest, which is not a production dependency',
        'bff/src/http/x.js: loads @types/node/fs, which is not a production dependency',
      ].sort(),
    );
  });
});

describe('npm run build (tsconfig.build.json)', () => {
  let out: string;
  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), 'drmoto-dist-'));
    const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
    await run(tsc, ['-p', path.join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root, timeout: 180_000 });
    // The build script's second step, the same copy.
    await run(process.execPath, ['-e', `require('fs').cpSync('bff/src/store/migrations', ${JSON.stringify(path.join(out, 'bff/src/store/migrations'))}, {recursive: true})`], { cwd: root });
  }, 200_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('holds the server, the operator scripts and the migrations, and nothing from mocks or the tests', () => {
    expect(inspectBuild(out, pkg.dependencies)).toEqual([]);
  });
});
