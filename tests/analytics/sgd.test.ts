import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseFilters, runAnalytics } from '../../src/analytics/index.js';
import type { FlowsResult } from '../../src/analytics/flows.js';
import type { IntentsResult } from '../../src/analytics/intents.js';
import type { OverviewResult } from '../../src/analytics/overview.js';
import type { SessionsResult } from '../../src/analytics/sessions.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';

const sgdDir = path.resolve(import.meta.dirname, '../../../shared/datasets/sgd');

interface RawTurn {
  speaker: string;
  frames: Array<{ state?: { active_intent?: string } }>;
}

/**
 * Counted here straight from the publisher's JSON, independently of the lab: the intent of a USER
 * turn is the first non-NONE active intent among its frames (else NONE); consecutive repeats of an
 * intent within a dialogue are one step.
 */
function countFromRawJson() {
  const links = new Map<string, number>();
  const entries = new Map<string, number>();
  const exits = new Map<string, number>();
  const intents = new Map<string, number>();
  const lengths = new Map<number, number>();
  const paths = new Map<string, number>();
  let dialogues = 0;
  let turns = 0;
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const split of ['train', 'test']) {
    for (const file of readdirSync(path.join(sgdDir, split)).filter((f) => f.startsWith('dialogues_'))) {
      const data = JSON.parse(readFileSync(path.join(sgdDir, split, file), 'utf8')) as Array<{ turns: RawTurn[] }>;
      for (const d of data) {
        dialogues++;
        turns += d.turns.length;
        lengths.set(d.turns.length, (lengths.get(d.turns.length) ?? 0) + 1);
        const seq: string[] = [];
        for (const t of d.turns) {
          if (t.speaker !== 'USER') continue;
          const active = t.frames.map((f) => f.state?.active_intent).filter((x): x is string => !!x);
          if (active.length === 0) continue;
          const intent = active.find((x) => x !== 'NONE') ?? 'NONE';
          inc(intents, intent);
          seq.push(intent);
        }
        if (seq.length === 0) continue;
        inc(entries, seq[0]!);
        inc(exits, seq[seq.length - 1]!);
        const steps = seq.filter((x, i) => i === 0 || seq[i - 1] !== x);
        for (let i = 1; i < steps.length; i++) inc(links, `${steps[i - 1]}|${steps[i]}`);
        inc(paths, steps.join(' > '));
      }
    }
  }
  return { links, entries, exits, intents, lengths, paths, dialogues, turns };
}

const expected = countFromRawJson();

describeEachDialect('analytics on the SGD subset', (dialect) => {
  let lab: TestLab;
  let datasetId: number;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    const { dataset } = await ingestDataset(lab, { type: 'sgd', path: sgdDir, name: 'sgd' });
    datasetId = dataset.id;
  });
  afterAll(async () => lab.cleanup());

  const filters = () => parseFilters({ dataset: datasetId });

  it('flows equal the transitions counted from the raw JSON', async () => {
    const flows = (await runAnalytics(lab, 'flows', filters(), { top: 5 })) as FlowsResult;
    const got = new Map(flows.links.map((l) => [`${l.source}|${l.target}`, l.count]));
    expect(got).toEqual(expected.links);
    expect(new Map(flows.entries.map((e) => [e.intent, e.count]))).toEqual(expected.entries);
    expect(new Map(flows.exits.map((e) => [e.intent, e.count]))).toEqual(expected.exits);
    expect(flows.conversations).toBe(expected.dialogues);
    expect(flows.transitions).toBe([...expected.links.values()].reduce((a, b) => a + b, 0));
    // Top paths: same counts as the most common raw journeys (ties may list in either order).
    const topCounts = [...expected.paths.values()].sort((a, b) => b - a).slice(0, 5);
    expect(flows.paths.map((p) => p.count)).toEqual(topCounts);
    for (const p of flows.paths) expect(expected.paths.get(p.path.join(' > '))).toBe(p.count);
  });

  it('intent distribution matches the raw counts, top N + other', async () => {
    const all = (await runAnalytics(lab, 'intents', filters(), { top: 1000 })) as IntentsResult;
    expect(new Map(all.intents.map((i) => [i.intent, i.count]))).toEqual(expected.intents);
    const top = (await runAnalytics(lab, 'intents', filters(), { top: 3 })) as IntentsResult;
    expect(top.intents).toHaveLength(4);
    expect(top.intents[3]!.intent).toBe('(other)');
    const sorted = [...expected.intents.values()].sort((a, b) => b - a);
    expect(top.intents.slice(0, 3).map((i) => i.count)).toEqual(sorted.slice(0, 3));
    expect(top.intents[3]!.count).toBe(sorted.slice(3).reduce((a, b) => a + b, 0));
    expect(top.total).toBe(sorted.reduce((a, b) => a + b, 0));
    // SGD has no timestamps: no series.
    expect(top.series).toEqual([]);
  });

  it('overview and sessions count dialogues and turns', async () => {
    const o = (await runAnalytics(lab, 'overview', filters())) as OverviewResult;
    expect(o.conversations).toBe(expected.dialogues);
    expect(o.turns).toBe(expected.turns);
    expect(o.distinct_intents).toBe(expected.intents.size);
    expect(o.duration_ms.median).toBeNull();
    const s = (await runAnalytics(lab, 'sessions', filters())) as SessionsResult;
    expect(new Map(s.length_histogram.map((b) => [b.turns, b.conversations]))).toEqual(expected.lengths);
  });

  it('the intent filter keeps whole conversations that contain the intent', async () => {
    const intent = [...expected.intents.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const flows = (await runAnalytics(lab, 'flows', parseFilters({ dataset: datasetId, intent }))) as FlowsResult;
    expect(flows.conversations).toBeGreaterThan(0);
    expect(flows.conversations).toBeLessThan(expected.dialogues);
    expect(flows.nodes.some((n) => n.name === intent)).toBe(true);
  });
});
