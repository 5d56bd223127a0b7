import { fromMinor, toMinor } from './money';

describe(toMinor.name, () => {
  it.each([
    [123.45, 2, 12345],
    [0.1 + 0.2, 2, 30],
    [1.005, 2, 101],
    [2.675, 2, 268],
    [-1.005, 2, -101],
    [100, 0, 100],
    [1999.5, 0, 2000],
    [0.000001, 2, 0],
    [1e21, 0, NaN],
  ])('%p with %p decimals → %p', (value, decimals, expected) => {
    if (Number.isNaN(expected)) expect(() => toMinor(value, decimals)).toThrow(RangeError);
    else expect(toMinor(value, decimals)).toBe(expected);
  });

  it('round-trips with fromMinor', () => {
    for (const m of [0, 1, 99, 12345, 99999999, -500]) expect(toMinor(fromMinor(m, 2), 2)).toBe(m);
    expect(fromMinor(12345, 2)).toBe(123.45);
    expect(fromMinor(5, 0)).toBe(5);
  });
});
