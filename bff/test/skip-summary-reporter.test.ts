// eslint-disable-next-line @typescript-eslint/no-require-imports
const SkipSummaryReporter = require('./skip-summary-reporter.js') as {
  new (globalConfig: { testNamePattern?: string }): { onTestResult(t: unknown, r: unknown): void; onRunComplete(): void };
  reasonOf(titles: string[]): string | null;
};

type Status = 'passed' | 'pending' | 'todo';
const result = (file: string, tests: [string[], string, Status][]) => ({
  testFilePath: `${process.cwd()}/${file}`,
  testResults: tests.map(([ancestorTitles, title, status]) => ({ ancestorTitles, title, status })),
});

function summary(globalConfig: { testNamePattern?: string }, results: ReturnType<typeof result>[]): string {
  const reporter = new SkipSummaryReporter(globalConfig);
  for (const r of results) reporter.onTestResult({}, r);
  let out = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  try {
    reporter.onRunComplete();
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('SkipSummaryReporter', () => {
  it('reads the reason from the innermost title that gives one', () => {
    expect(SkipSummaryReporter.reasonOf(['LedgerRepository (pg) — skipped: DATABASE_URL not set', 'appends'])).toBe('DATABASE_URL not set');
    expect(SkipSummaryReporter.reasonOf(['journey — skipped: chromium not installed (apt-get install -y chromium)', 'pays'])).toBe('chromium not installed');
    expect(SkipSummaryReporter.reasonOf(['refunds (PostgreSQL)', 'needs DATABASE_URL: the concurrent check runs on PostgreSQL only'])).toBe('DATABASE_URL not set');
    expect(SkipSummaryReporter.reasonOf(['plain', 'test'])).toBeNull();
  });

  it('prints one summary with counts per reason, and names the files of skips without a reason', () => {
    const out = summary({}, [
      result('bff/src/store/ledger.test.ts', [
        [['LedgerRepository (pglite)'], 'appends', 'passed'],
        [['LedgerRepository (pg) — skipped: DATABASE_URL not set'], 'appends', 'pending'],
        [['LedgerRepository (pg) — skipped: DATABASE_URL not set'], 'chains', 'pending'],
      ]),
      result('bff/test/refunds.test.ts', [[['refunds (PostgreSQL)'], 'needs DATABASE_URL: concurrent', 'pending']]),
      result('bff/src/jobs/bullmq.test.ts', [[['BullmqJobQueue — skipped: REDIS_URL not set'], 'needs a Redis server', 'pending']]),
      result('bff/test/x.test.ts', [[['x'], 'later', 'todo']]),
    ]);
    expect(out).toContain('Skipped: 5 tests in 4 files, by reason:');
    expect(out).toMatch(/3 {2}DATABASE_URL not set \(2 files\)/);
    expect(out).toMatch(/1 {2}REDIS_URL not set \(1 file\)/);
    expect(out).toMatch(/1 {2}no reason in the test title: bff\/test\/x\.test\.ts/);
    expect(out.indexOf('DATABASE_URL')).toBeLessThan(out.indexOf('REDIS_URL'));
  });

  it('says nothing when nothing was skipped; under -t only real skips count', () => {
    expect(summary({}, [result('a.test.ts', [[['a'], 'runs', 'passed']])])).toBe('');
    const filtered = summary({ testNamePattern: 'runs' }, [result('a.test.ts', [[['a'], 'other', 'pending'], [['b — skipped: REDIS_URL not set'], 'x', 'pending']])]);
    expect(filtered).toContain('Skipped: 1 test in 1 file');
    expect(filtered).not.toContain('no reason');
  });
});
