import { localMidnightUtc, nextDay, toOdooDatetime } from './time';

describe(localMidnightUtc.name, () => {
  it('Shanghai midnight is 16:00 UTC the day before', () => {
    expect(toOdooDatetime(localMidnightUtc('2026-11-22', 'Asia/Shanghai'))).toBe('2026-11-21 16:00:00');
  });
  it('handles DST zones on both sides of a change', () => {
    expect(localMidnightUtc('2026-03-29', 'Europe/Berlin').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(localMidnightUtc('2026-03-30', 'Europe/Berlin').toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(localMidnightUtc('2026-07-01', 'UTC').toISOString()).toBe('2026-07-01T00:00:00.000Z');
  });
  it('nextDay crosses months and years', () => {
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
  });
});
