import { describe, expect, it } from 'vitest';
import { barChart, calibrationChart, lineChart } from '../../web/src/lib/charts.js';
import { csvCell, toCsv } from '../../web/src/lib/csv.js';
import { topConfusedPairs } from '../../web/src/lib/evaluation.js';
import { accuracyOf, macroF1Of, runMetrics, runTags } from '../../web/src/lib/runs.js';
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

describe('run helpers over the API contract', () => {
  it('reads metrics and tags by their declared names only', () => {
    const run = {
      metrics: { accuracy: 0.9, macro_f1: 0.8, out_of_scope: { recall: 1 } },
      tags: { team: 'nlp', seed: '' },
    };
    expect(runMetrics(run)).toEqual({ accuracy: 0.9, macro_f1: 0.8 });
    expect(accuracyOf(run)).toBe(0.9);
    expect(macroF1Of(run)).toBe(0.8);
    expect(macroF1Of({ metrics: { 'macro-f1': 0.8 } })).toBeUndefined();
    expect(runTags(run)).toEqual(['team=nlp', 'seed']);
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
