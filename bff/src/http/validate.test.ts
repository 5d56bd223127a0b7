import { z } from 'zod';
import { AppError } from '../errors';
import { parsePart, unstorableStrings } from './validate';

describe('unstorableStrings', () => {
  it('flags NUL and unpaired surrogates with their path, in values and keys', () => {
    expect(unstorableStrings({ a: 'x\u0000', b: ['ok', '\ud800'], c: { '\udc00k': 1 } }, 'body').map((e) => e.path).sort()).toEqual(['body.a', 'body.b.1', 'body.c.\ufffdk']);
  });

  it('passes proper surrogate pairs (astral characters), RTL marks and other controls the schemas judge', () => {
    expect(unstorableStrings({ a: '🏍👨‍🔧 粤B·12345', b: '\u202eabc', c: '\t\n' }, 'body')).toEqual([]);
  });

  it('walks nesting far deeper than the call stack without overflowing', () => {
    let deep: unknown = '\ud800';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(unstorableStrings(deep, 'body')).toHaveLength(1);
  });
});

describe('parsePart', () => {
  const schema = z.object({ name: z.string() }).strict();

  it('refuses an unstorable string the schema accepts, as a validation problem naming the field', () => {
    try {
      parsePart(schema, { name: 'a\u0000b' }, 'body');
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).type).toBe('validation');
      expect((e as AppError).extra.errors).toEqual([expect.objectContaining({ path: 'body.name', code: 'invalid_characters' })]);
    }
  });

  it('returns what the schema returns otherwise', () => {
    expect(parsePart(schema, { name: 'Zhang 🏍' }, 'body')).toEqual({ name: 'Zhang 🏍' });
  });
});
