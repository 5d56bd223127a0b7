import { types } from 'node:util';
import { UserError } from '../errors';
import { createOrm, OdooService } from '../server';
import { Journal } from './journal';
import type { Env, Orm } from './orm';
import type { ModelDef, Row } from './types';

/**
 * A model whose methods change rows the way model code does (through the ORM and by assigning to rows directly),
 * then fail on request: every call must leave the database exactly as it was.
 */
const scratch: ModelDef = {
  name: 'x.scratch',
  description: 'Scratch',
  fields: {
    name: { type: 'char', string: 'Name', required: true },
    n: { type: 'integer', string: 'N' },
    tag_ids: { type: 'many2many', string: 'Tags', relation: 'res.partner' },
    parent_id: { type: 'many2one', string: 'Parent', relation: 'x.scratch', ondelete: 'cascade' },
  },
  methods: {
    mutate: {
      api: 'records',
      params: [{ name: 'fail' }],
      fn: (env: Env, [fail], ids) => {
        const m = env.model('x.scratch');
        for (const r of m.allRows()) if (r.name === 'tagged') (r.tag_ids as number[]).push(1); // in place, nothing else
        for (const id of ids) {
          const row = m.row(id)!;
          row.n = Number(row.n) + 1; // direct assignment, as several models do
        }
        m.write(ids, { name: 'written' });
        m.create([{ name: 'created in call' }, { name: 'created too' }]);
        for (const r of m.allRows()) if (r.name === 'to delete') m.unlink([r.id]);
        env.orm.passwords.set(env.uid, 'changed');
        if (fail) throw new UserError('simulated failure');
        return true;
      },
    },
  },
  acl: { '': 'rwcu' },
};

describe(Journal.name, () => {
  let orm: Orm;
  let service: OdooService;
  let admin: number;
  const m = () => orm.sudoEnv().model('x.scratch');
  const call = (ids: number[], fail: boolean) => service.execute(admin, 'x.scratch', 'mutate', [ids, fail], {});

  beforeEach(() => {
    orm = createOrm();
    orm.register(scratch);
    service = new OdooService(orm, 'drmoto');
    admin = orm.ref('base.user_admin');
    const [a] = m().create([{ name: 'a', n: 1, tag_ids: [[6, 0, [2]]] }]);
    m().create([{ name: 'to delete', parent_id: a }, { name: 'child of deleted' }, { name: 'tagged', tag_ids: [[6, 0, [3]]] }]);
    const [, del, child] = m().allRows().map((r) => r.id);
    m().write([child!], { parent_id: del });
  });

  describe('rollback', () => {
    it('a faulting call leaves everything as it was: direct assignments, in-place arrays, writes, creates, cascaded deletes, next id, passwords', () => {
      const before = orm.snapshot();
      const rowsBefore = m().allRows();
      const valuesBefore = structuredClone(rowsBefore);
      const ids = rowsBefore.map((r) => r.id);
      expect(() => call([ids[0]!], true)).toThrow('simulated failure');
      expect(orm.snapshot()).toEqual(before);
      expect(orm.passwords.get(admin)).toBe('admin');
      // the same row objects with the same values, back in id order
      const rowsAfter = m().allRows();
      expect(rowsAfter).toEqual(valuesBefore);
      expect(rowsAfter.every((r, i) => r === rowsBefore[i])).toBe(true);
      expect([...orm.table('x.scratch').rows.keys()]).toEqual(ids);
      // the ids the failed call took are given out again, as a rolled-back sequence would in PostgreSQL's table
      const [next] = m().create([{ name: 'next' }]);
      expect(next).toBe(ids.length + 1);
    });

    it('a successful call keeps every change', () => {
      const [a] = m().allRows().map((r) => r.id);
      call([a!], false);
      const rows = m().allRows();
      expect(rows.find((r) => r.id === a)).toMatchObject({ name: 'written', n: 2, tag_ids: [2] });
      expect(rows.map((r) => r.name)).toEqual(['written', 'tagged', 'created in call', 'created too']); // 'to delete' and its cascaded child gone
      expect(rows.find((r) => r.name === 'tagged')!.tag_ids).toEqual([3, 1]);
      expect(orm.passwords.get(admin)).toBe('changed');
    });

    it('a nested transaction joins the open one: the outer failure undoes the inner work', () => {
      const before = orm.snapshot();
      expect(() =>
        orm.transaction(() => {
          orm.transaction(() => m().create([{ name: 'inner' }]));
          throw new Error('outer failure');
        }),
      ).toThrow('outer failure');
      expect(orm.snapshot()).toEqual(before);
    });

    it('stored rows are plain objects outside a transaction (proxies only live inside one)', () => {
      const [a] = m().allRows().map((r) => r.id);
      let inside: Row | undefined;
      orm.transaction(() => {
        inside = m().row(a!);
        expect(types.isProxy(inside)).toBe(true);
      });
      expect(types.isProxy(m().row(a!))).toBe(false);
      expect(m().allRows().some((r) => types.isProxy(r))).toBe(false);
    });

    it('read methods run outside a transaction; every other call in one', () => {
      const spy = jest.spyOn(orm, 'transaction');
      service.execute(admin, 'x.scratch', 'search_read', [[]], { fields: ['name'] });
      expect(spy).not.toHaveBeenCalled();
      const [a] = m().allRows().map((r) => r.id);
      service.execute(admin, 'x.scratch', 'write', [[a], { name: 'w' }], {});
      expect(spy).toHaveBeenCalledTimes(1);
    });
  });
});
