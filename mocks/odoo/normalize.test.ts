import { cleanPlate, cleanVin, isValidPlate, isValidVin, normalizePhone, normalizePlate } from './normalize';

describe('normalize', () => {
  describe(normalizePhone.name, () => {
    it.each([
      ['+86 138-0013-8000', '13800138000'],
      ['0086 13800138000', '13800138000'],
      ['138 0013 8000', '13800138000'],
      ['8613800138000', '13800138000'],
      ['１３８００１３８０００', '13800138000'],
      ['+1 (415) 555-2671', '+14155552671'],
      ['0044 20 7946 0958', '+442079460958'],
    ])('%s → %s', (raw, expected) => {
      expect(normalizePhone(raw)).toBe(expected);
    });

    it.each([[''], [null], [false], [0], ['12345'], ['+0123456789'], ['23800138000'], ['abc'], ['١٣٨٠٠١٣٨٠٠٠']])('%p is invalid (Arabic-Indic digits too: ASCII only, as the addon)', (raw) => {
      expect(normalizePhone(raw)).toBeNull();
    });
  });

  it('reads a value that is not a string as str(value), as the addon does', () => {
    expect(normalizePhone(13800138000)).toBe('13800138000');
    expect(cleanVin(12345)).toBe('12345');
  });

  describe(normalizePlate.name, () => {
    it.each([
      ['粤B·12345', '粤B12345'],
      ['粤b12345', '粤B12345'],
      ['粤B 12345', '粤B12345'],
      ['粤B-123_45', '粤B12345'],
      ['京A・88888', '京A88888'],
    ])('%s → %s', (raw, expected) => {
      expect(normalizePlate(raw)).toBe(expected);
    });

    it('rejects empty, too long and foreign characters', () => {
      expect(normalizePlate('')).toBeNull();
      expect(normalizePlate(false)).toBeNull();
      expect(cleanPlate(false)).toBe('');
      expect(isValidPlate('粤B12345')).toBe(true);
      expect(isValidPlate('粤b12345')).toBe(false); // not cleaned
      expect(isValidPlate(false)).toBe(false);
      expect(normalizePlate('A')).toBeNull();
      expect(normalizePlate('ABCDEFGHIJKLM')).toBeNull();
      expect(normalizePlate('粤B#12345')).toBeNull();
      expect(cleanPlate('粤B#12345')).toBe('粤B#12345');
    });
  });

  describe(cleanVin.name, () => {
    it('upper-cases, strips whitespace, empty → false', () => {
      expect(cleanVin(' lhgkf 1234 5678 9012 3 ')).toBe('LHGKF12345678901 23'.replace(/\s/g, ''));
      expect(cleanVin('')).toBe(false);
      expect(cleanVin('   ')).toBe(false);
    });

    it('validates 17 characters without I, O, Q', () => {
      expect(isValidVin('LHGKF1234567890AB')).toBe(true);
      expect(isValidVin('LHGKF1234567890AI')).toBe(false);
      expect(isValidVin('LHGKF1234567890A')).toBe(false);
    });
  });
});
