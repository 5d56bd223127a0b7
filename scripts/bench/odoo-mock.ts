import { createOrm, OdooService } from '../../mocks/odoo/server';
import { fmt, machine, stats } from './lib';

const now = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * The Odoo mock's own write path, in process (no HTTP): every write call is one transaction
 * (OdooService.execute → Orm.transaction, copy-on-write), so its cost as the database grows shows what the
 * transaction bookkeeping costs. Side by side, the same calls wrapped the way the mock used to do it: a copy of
 * the whole database before each call, put back on a fault. The database is grown with plain contacts.
 */
export async function benchOdooMock(opts: { sizes: number[]; k: number; kBefore: number }): Promise<string> {
  const orm = createOrm();
  const service = new OdooService(orm, 'drmoto');
  const admin = orm.ref('base.user_admin');
  const tech = orm.ref('drmoto_mock.user_technician');
  const partners = () => orm.table('res.partner').rows.size;
  const totalRows = () => [...orm.defs.keys()].reduce((n, m) => n + orm.table(m).rows.size, 0);
  const sudo = orm.sudoEnv().model('res.partner');
  const [target] = sudo.create([{ name: 'bench target' }]);
  const [wo] = orm.sudoEnv().model('drmoto.work.order')._search([['state', '=', 'diagnosing']], { limit: 1 });
  if (wo === undefined) throw new Error('the seed has no work order in diagnosing');
  let seq = 0;
  const ops: Record<string, () => unknown> = {
    write: () => service.execute(admin, 'res.partner', 'write', [[target], { name: `bench ${seq++}` }], {}),
    create: () => service.execute(admin, 'res.partner', 'create', [{ name: `bench new ${seq++}` }], {}),
    action: () => service.execute(tech, 'drmoto.work.order', 'action_record_diagnosis', [[wo], false, `bench-${seq++}`, 'bench diagnosis'], {}),
    fault: () => {
      try {
        service.execute(admin, 'res.partner', 'write', [[target], { no_such_field: 1 }], {});
      } catch {
        return;
      }
      throw new Error('the faulting write did not fault');
    },
  };
  // the old way: the whole database copied before each call, restored on a fault
  const wholeCopy = (fn: () => unknown) => () => {
    const before = orm.snapshot();
    try {
      return fn();
    } catch (e) {
      orm.restore(before);
      throw e;
    }
  };
  const measure = (fn: () => unknown, k: number): string => {
    for (let i = 0; i < 5; i++) fn(); // warm-up
    const samples: number[] = [];
    const t0 = now();
    for (let i = 0; i < k; i++) {
      const t = now();
      fn();
      samples.push(now() - t);
    }
    return `${Math.round((k / (now() - t0)) * 1000)}/s (${fmt(stats(samples).p50)})`;
  };
  const rows: string[] = [];
  for (const size of opts.sizes) {
    const missing = size - partners();
    for (let i = 0; i < missing; i += 500) sudo.create(Array.from({ length: Math.min(500, missing - i) }, (_, j) => ({ name: `filler ${i + j}`, city: 'Shanghai' })));
    const at = `| ${partners()} | ${totalRows()} |`; // the size the step starts at (its own creates add to it)
    const cells: string[] = [];
    for (const fn of Object.values(ops)) cells.push(`${measure(wholeCopy(fn), opts.kBefore)} → ${measure(fn, opts.k)}`);
    rows.push(`${at} ${cells.join(' | ')} |`);
  }
  return [
    `Run ${new Date().toISOString().slice(0, 16)}Z on ${machine()}; \`BENCH_ONLY=odoomock npm run bench\` (in process, no HTTP).`,
    `Sequential calls after warm-up, each as one transaction; calls per second (p50 ms). **before** = the whole database copied before`,
    `each call and put back on a fault (the mock until this change; ${opts.kBefore} calls per cell); **after** = copy-on-write`,
    `(\`Orm.transaction\`: an undo log of the rows, next ids and passwords the call touches; ${opts.k} calls per cell).`,
    `**write** = \`res.partner.write\` of one contact's name; **create** = \`res.partner.create\` of one contact; **action** =`,
    `\`action_record_diagnosis\` on one work order (a keyed action: status log, revision); **fault** = a \`write\` that fails (rolled back).`,
    '',
    '| contacts at the start | rows in all tables | write before → after | create before → after | action before → after | fault before → after |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
