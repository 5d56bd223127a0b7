import { escapeLike, normalizePhone, normalizePlate, normalizeVin } from './normalize';

describe('normalization (same rules as the addon)', () => {
  it.each([
    ['+86 138-0013-8000', '13800138000'],
    ['0086 13800138000', '13800138000'],
    ['8613800138000', '13800138000'],
    ['138 0013 8000', '13800138000'],
    ['(138) 0013-8000', '13800138000'],
    ['+44 20 7946 0958', '+442079460958'],
    ['12345', null],
    ['23800138000', null],
    ['1380013800+0', '13800138000'],
    ['１３８００１３８０００', '13800138000'],
    ['٣٨٠٠١٣٨٠٠٠١', null],
    ['', null],
  ])('phone %p → %p', (raw, want) => expect(normalizePhone(raw)).toBe(want));

  it.each([
    ['粤B·12345', '粤B12345'],
    ['粤b12345', '粤B12345'],
    ['粤B 12345', '粤B12345'],
    ['粤B-12345', '粤B12345'],
    ['京A．D1234', '京AD1234'],
    ['ｂ１２３', 'B123'],
    ['粤B$12345', null],
    ['A', null],
    ['', null],
  ])('plate %p → %p', (raw, want) => expect(normalizePlate(raw)).toBe(want));

  it('VINs are 17 characters without I, O, Q', () => {
    expect(normalizeVin(' lsvaa4182e2100001 ')).toBe('LSVAA4182E2100001');
    expect(normalizeVin('LSVAA4182E210000I')).toBeNull();
    expect(normalizeVin('SHORT')).toBeNull();
  });

  it('escapes like-wildcards', () => {
    expect(escapeLike('50%_\\x')).toBe('50\\%\\_\\\\x');
  });
});
