/** Shared by the mock's model tests (imported from *.test.ts only; `*.testing.ts` is never part of a build). */

/** Runs `fn`, expects it to throw `cls` with the addon's stable `code` (`CODE: …`, possibly after a prefix); returns it. */
export function fails(fn: () => unknown, cls: new (...a: never[]) => Error, code: string): Error {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(cls);
  expect((err as Error).message).toMatch(new RegExp(`(^|: )${code}:`));
  return err as Error;
}
