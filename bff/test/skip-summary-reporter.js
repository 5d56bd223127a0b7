/**
 * One summary, at the end of the run, of every test that did not run and why — counts per reason. Suites that need
 * a server or a browser skip themselves with the reason in their title (`… — skipped: DATABASE_URL not set`, or an
 * `it.skip('needs DATABASE_URL: …')`); the reporter reads it from there, so a skip can't go unexplained: one without
 * a reason is listed by file. Plain JS: jest loads reporters without the TypeScript transform.
 */
class SkipSummaryReporter {
  constructor(globalConfig) {
    this.filtered = Boolean(globalConfig.testNamePattern);
    this.byReason = new Map();
  }

  onTestResult(_test, result) {
    const file = require('node:path').relative(process.cwd(), result.testFilePath);
    for (const r of result.testResults) {
      if (r.status !== 'pending' && r.status !== 'todo' && r.status !== 'skipped' && r.status !== 'disabled') continue;
      const reason = reasonOf([...r.ancestorTitles, r.title]);
      // -t leaves the tests it doesn't match as skipped: those are not worth a line, only real skips are
      if (!reason && this.filtered) continue;
      const key = reason ?? 'no reason in the test title';
      const entry = this.byReason.get(key) ?? { tests: 0, files: new Set() };
      entry.tests++;
      entry.files.add(file);
      this.byReason.set(key, entry);
    }
  }

  onRunComplete() {
    if (this.byReason.size === 0) return;
    const rows = [...this.byReason].sort((a, b) => b[1].tests - a[1].tests);
    const total = rows.reduce((n, [, e]) => n + e.tests, 0);
    const files = new Set(rows.flatMap(([, e]) => [...e.files])).size;
    const width = String(total).length;
    const lines = [`Skipped: ${total} test${total === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}, by reason:`];
    for (const [reason, e] of rows) {
      const where = reason.startsWith('no reason') ? `: ${[...e.files].join(', ')}` : ` (${e.files.size} file${e.files.size === 1 ? '' : 's'})`;
      lines.push(`  ${String(e.tests).padStart(width)}  ${reason}${where}`);
    }
    lines.push('  (DATABASE_URL / REDIS_URL: see README, Tests; chromium: DEVELOPERS.md)');
    process.stderr.write(`\n${lines.join('\n')}\n`);
  }
}

/** `… — skipped: <reason>` (up to a parenthesis) or `needs <ENV_VAR>` → `<ENV_VAR> not set`, from the innermost title out. */
function reasonOf(titles) {
  for (const t of [...titles].reverse()) {
    const m = /skipped: ([^(]+)/.exec(t);
    if (m) return m[1].trim();
  }
  for (const t of [...titles].reverse()) {
    const m = /\bneeds ([A-Z][A-Z0-9_]+)\b/.exec(t);
    if (m) return `${m[1]} not set`;
  }
  return null;
}

module.exports = SkipSummaryReporter;
module.exports.reasonOf = reasonOf;
