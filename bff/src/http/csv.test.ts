import { csvCell, toCsv } from './csv';

describe('csv', () => {
  describe(csvCell.name, () => {
    it.each([
      ['plain', 'plain'],
      ['a,b', '"a,b"'],
      ['say "hi"', '"say ""hi"""'],
      ['two\nlines', '"two\nlines"'],
      ['cr\rhere', '"cr\rhere"'],
      ['=SUM(A1:A9)', "'=SUM(A1:A9)"],
      ['+86 138', "'+86 138"],
      ['-x', "'-x"],
      ['@cmd', "'@cmd"],
      ['=a,b', `"'=a,b"`],
      ['粤B12345', '粤B12345'],
      ['', ''],
    ])('%j → %j', (input, out) => {
      expect(csvCell(input)).toBe(out);
    });

    it('numbers stay numbers (a negative amount is not a formula); null and undefined are empty', () => {
      expect(csvCell(-3000)).toBe('-3000');
      expect(csvCell(1.5)).toBe('1.5');
      expect(csvCell(0)).toBe('0');
      expect(csvCell(null)).toBe('');
      expect(csvCell(undefined)).toBe('');
      expect(csvCell(true)).toBe('true');
      expect(() => csvCell(Number.NaN)).toThrow(RangeError);
    });
  });

  describe(toCsv.name, () => {
    it('BOM, header, CRLF after every row', () => {
      expect(toCsv(['a', 'b'], [[1, 'x,y'], [null, -2]])).toBe('\uFEFFa,b\r\n1,"x,y"\r\n,-2\r\n');
      expect(toCsv(['only'], [])).toBe('\uFEFFonly\r\n');
    });

    it('refuses a row that does not fit the header', () => {
      expect(() => toCsv(['a', 'b'], [[1]])).toThrow(RangeError);
    });
  });
});
