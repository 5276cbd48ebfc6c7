import { describe, expect, it } from 'vitest';
import { barChart, calibrationChart, lineChart } from '../../web/src/lib/charts.js';
import { csvCell, toCsv } from '../../web/src/lib/csv.js';
import { topConfusedPairs } from '../../web/src/lib/evaluation.js';
import { listOf, nextCursorOf } from '../../web/src/lib/shapes.js';
import { parseSseChunk } from '../../web/src/lib/sse.js';
import { matchRoute } from '../../web/src/lib/router.js';

describe('csv export', () => {
  it('quotes per RFC 4180 and neutralises formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell('-1+1')).toBe("'-1+1");
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(null)).toBe('');
    expect(toCsv(['a', 'b'], [[1, 'x,y']])).toBe('a,b\r\n1,"x,y"\r\n');
  });
});

describe('evaluation helpers', () => {
  it('lists off-diagonal confusions largest first', () => {
    const labels = ['a', 'b', 'c'];
    const matrix = [
      [5, 2, 0],
      [0, 4, 3],
      [1, 0, 6],
    ];
    expect(topConfusedPairs(labels, matrix, 2)).toEqual([
      { actual: 'b', predicted: 'c', count: 3 },
      { actual: 'a', predicted: 'b', count: 2 },
    ]);
  });
});

describe('API shapes', () => {
  it('reads lists from arrays and envelopes', () => {
    expect(listOf([1, 2])).toEqual([1, 2]);
    expect(listOf({ items: [3], next_cursor: 'x' })).toEqual([3]);
    expect(listOf({ total: 1, runs: [4] }, 'runs')).toEqual([4]);
    expect(listOf(undefined)).toEqual([]);
    expect(nextCursorOf({ items: [], next_cursor: 'abc' })).toBe('abc');
    expect(nextCursorOf({ items: [], next_cursor: null })).toBeNull();
  });
});

describe('server-sent events parser', () => {
  it('splits complete events and keeps the partial rest', () => {
    const { messages, rest } = parseSseChunk(
      'event: progress\ndata: {"epoch":1}\n\n: ping\n\ndata: a\ndata: b\n\nevent: end\nda',
    );
    expect(messages).toEqual([
      { event: 'progress', data: '{"epoch":1}', id: undefined },
      { event: 'message', data: 'a\nb', id: undefined },
    ]);
    expect(rest).toBe('event: end\nda');
  });
});

describe('hash router', () => {
  it('matches patterns with parameters', () => {
    expect(matchRoute('/runs/:id', '/runs/12')).toEqual({ id: '12' });
    expect(matchRoute('/runs/:id', '/runs')).toBeNull();
    expect(matchRoute('/datasets', '/datasets')).toEqual({});
  });
});

describe('chart options', () => {
  it('every chart has a title and named axes', () => {
    const charts = [
      barChart({ title: 'Bars', categories: ['a'], values: [1], xName: 'X', yName: 'Y' }),
      lineChart({ title: 'Lines', series: [{ name: 's', points: [[1, 2]] }], xName: 'Step', yName: 'Loss' }),
      calibrationChart({ title: 'Cal', bins: [{ confidence: 0.5, accuracy: 0.4, count: 3 }] }),
    ];
    for (const option of charts) {
      expect((option.title as { text: string }).text).toBeTruthy();
      expect((option.xAxis as { name: string }).name).toBeTruthy();
      expect((option.yAxis as { name: string }).name).toBeTruthy();
    }
  });
});
