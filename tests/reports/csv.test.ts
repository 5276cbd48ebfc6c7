import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { neutralise, toCsv } from '../../src/reports/csv.js';

describe('CSV export', () => {
  it('quotes per RFC 4180: commas, quotes, line breaks; CRLF records; header first', () => {
    const csv = toCsv([
      { intent: 'a,b', text: 'she said "hi"', n: 3 },
      { intent: 'multi\nline', text: 'plain', n: -0.25 },
    ]);
    expect(csv).toBe('intent,text,n\r\n"a,b","she said ""hi""",3\r\n"multi\nline",plain,-0.25\r\n');
    expect(parse(csv, { columns: true })).toEqual([
      { intent: 'a,b', text: 'she said "hi"', n: '3' },
      { intent: 'multi\nline', text: 'plain', n: '-0.25' },
    ]);
  });

  it('neutralises text cells that start a spreadsheet formula, leaves numbers alone', () => {
    for (const evil of ['=1+1', '+cmd|calc', '-2+3', '@SUM(A1)', '\t=x', '\r=x'])
      expect(neutralise(evil)).toBe(`'${evil}`);
    expect(neutralise('safe = text')).toBe('safe = text');
    expect(neutralise(-0.5)).toBe(-0.5);
    const csv = toCsv([{ text: '=HYPERLINK("http://x","y")', score: -1 }]);
    expect(csv).toBe('text,score\r\n"\'=HYPERLINK(""http://x"",""y"")",-1\r\n');
  });

  it('writes empty cells for null and a header-only file for no rows', () => {
    expect(toCsv([{ a: null, b: undefined, c: true }])).toBe('a,b,c\r\n,,true\r\n');
    expect(toCsv([], ['a', 'b'])).toBe('a,b\r\n');
  });
});
