/**
 * Run comparison: metric deltas, per-intent F1 deltas and McNemar's test on the test examples
 * both runs scored, so a regression is called significant or not rather than eyeballed.
 */
import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import { mcnemar, type McNemarResult } from '../nlp/evaluation/index.js';
import { getRun, type RunView } from './runs.js';
import { intentEntries, readRunArtifact, type RunArtifacts } from './artifacts.js';
import { own } from '../core/dict.js';

const METRICS = ['accuracy', 'macro_f1', 'weighted_f1', 'ece', 'fallback_rate', 'train_seconds'];

export interface Comparison {
  baseline: number;
  candidate: number;
  metric_deltas: Record<string, { baseline: number | null; candidate: number | null; delta: number | null }>;
  intent_f1_deltas: Array<{ intent: string; baseline: number | null; candidate: number | null; delta: number | null }>;
  mcnemar: (McNemarResult & { shared_examples: number }) | null;
  verdict: string;
}

export interface RunComparison {
  runs: Array<Pick<RunView, 'id' | 'name' | 'model_type' | 'status' | 'dataset_id' | 'metrics' | 'model_version'>>;
  comparisons: Comparison[];
}

type Predictions = RunArtifacts['predictions'];

export function parseRunIds(ids: string | Array<string | number>): number[] {
  const list = (Array.isArray(ids) ? ids : String(ids).split(',')).map((s) => String(s).trim()).filter(Boolean);
  // Deduplicated before counting: `ids=3,3` names one run, which is nothing to compare.
  const parsed = [...new Set(list.map(Number))];
  if (parsed.length < 2 || parsed.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new ValidationError('give at least two run ids to compare (two different runs), e.g. ids=3,5', [
      { field: 'ids', problem: 'needs two or more different positive run ids separated by commas' },
    ]);
  }
  return parsed;
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export async function compareRuns(lab: LabContext, ids: number[]): Promise<RunComparison> {
  const runs = await Promise.all(ids.map((id) => getRun(lab, id)));
  const notDone = runs.filter((r) => r.status !== 'succeeded');
  if (notDone.length) {
    throw new ValidationError(
      `only succeeded runs can be compared: ${notDone.map((r) => `run ${r.id} is ${r.status}`).join(', ')}`,
      [{ field: 'ids', problem: 'contains a run that did not succeed' }],
    );
  }
  const [baseline, ...candidates] = runs as [RunView, ...RunView[]];
  const comparisons = candidates.map((candidate) => compareTwo(baseline, candidate));
  return {
    runs: runs.map((r) => ({
      id: r.id,
      name: r.name,
      model_type: r.model_type,
      status: r.status,
      dataset_id: r.dataset_id,
      metrics: r.metrics,
      model_version: r.model_version,
    })),
    comparisons,
  };
}

/** Each intent's F1 in a run's intent report (empty without one). */
function intentF1(runDir: string | null): Map<string, unknown> {
  const report = readRunArtifact(runDir, 'intent_report') ?? {};
  return new Map(intentEntries(report).map(([intent, scores]) => [intent, own(scores, 'f1-score')]));
}

function compareTwo(a: RunView, b: RunView): Comparison {
  const metric_deltas: Comparison['metric_deltas'] = {};
  for (const key of METRICS) {
    const x = numberOrNull(a.metrics?.[key]);
    const y = numberOrNull(b.metrics?.[key]);
    metric_deltas[key] = { baseline: x, candidate: y, delta: x !== null && y !== null ? y - x : null };
  }
  const f1A = intentF1(a.run_dir);
  const f1B = intentF1(b.run_dir);
  const intents = [...new Set([...f1A.keys(), ...f1B.keys()])];
  const intent_f1_deltas = intents
    .map((intent) => {
      const x = numberOrNull(f1A.get(intent));
      const y = numberOrNull(f1B.get(intent));
      return { intent, baseline: x, candidate: y, delta: x !== null && y !== null ? y - x : null };
    })
    // Biggest regressions first: the reader is looking for what got worse.
    .sort((p, q) => (p.delta ?? 0) - (q.delta ?? 0) || p.intent.localeCompare(q.intent));

  // McNemar needs the same examples: match by example id, falling back to text + label.
  const predA = readRunArtifact(a.run_dir, 'predictions');
  const predB = readRunArtifact(b.run_dir, 'predictions');
  let test: Comparison['mcnemar'] = null;
  let verdict = 'no shared test predictions to test';
  if (predA && predB) {
    const key = (e: Predictions['examples'][number]) =>
      e.id !== undefined && a.dataset_id === b.dataset_id ? `id:${e.id}` : `t:${e.label}\u0000${e.text}`;
    const byKey = new Map(predB.examples.map((e) => [key(e), e.correct]));
    const ca: boolean[] = [];
    const cb: boolean[] = [];
    for (const e of predA.examples) {
      const other = byKey.get(key(e));
      if (other === undefined) continue;
      ca.push(e.correct);
      cb.push(other);
    }
    if (ca.length) {
      // b = baseline right and candidate wrong; c = the reverse.
      test = { ...mcnemar(ca, cb), shared_examples: ca.length };
      verdict = !test.significant
        ? `no significant difference (p = ${test.p_value.toPrecision(3)})`
        : test.c > test.b
          ? `run ${b.id} is significantly better than run ${a.id} (p = ${test.p_value.toPrecision(3)})`
          : `run ${b.id} is significantly worse than run ${a.id} (p = ${test.p_value.toPrecision(3)}): a regression`;
    }
  }
  return { baseline: a.id, candidate: b.id, metric_deltas, intent_f1_deltas, mcnemar: test, verdict };
}
