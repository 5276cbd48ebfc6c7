/**
 * Is the candidate model really better than the one in production? Both score the same held-out
 * data — the test split of the dataset (by default the candidate's) plus reviewed log turns that
 * neither model trained on — then McNemar's test on the shared examples and per-intent F1 deltas
 * give a verdict: `promote` (significantly better, no intent badly hurt), `regressed`
 * (significantly worse) or `hold`. Applying moves the alias only on `promote`.
 */
import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import { FALLBACK_LABELS } from '../analytics/fallback.js';
import { duplicateKey } from '../datasets/preprocess.js';
import { resolveModel, setAlias, validateAlias, type ModelVersionView } from '../experiments/registry.js';
import { getRun } from '../experiments/runs.js';
import { classificationReport, mcnemar } from '../nlp/evaluation/index.js';
import { findDataset, loadExamples } from '../training/data.js';
import { trainTestOf } from '../training/pipeline.js';
import { getPredictor } from '../training/predict.js';
import { latestDecisions } from '../review/turns.js';
import type { ComparedModel, PromoteCheck, Verdict } from '../api/contracts/improve.js';

export interface PromoteCheckRequest {
  /** A model version (`7`, `name:7`, an alias) or a run (`run:12`). */
  candidate: string | number;
  /** Default `production`. */
  baseline?: string;
  /** Dataset whose test split is scored (default: the one the candidate was trained on). */
  dataset?: string | number;
  /** Logs whose reviewed turns are added when neither model trained on them (absent: every log with decisions; [] none). */
  reviews?: Array<string | number>;
  apply?: boolean;
  /** The alias `apply` moves (default `production`). */
  alias?: string;
  /** A drop in F1 larger than this on an intent with enough support holds the promotion. */
  maxIntentDrop?: number;
  minIntentSupport?: number;
}

export type { Verdict };
/** The answer of promote-check (the API's contract). */
export type PromoteCheckResult = PromoteCheck;

const summary = (m: ModelVersionView): ComparedModel => ({
  version: m.version,
  name: m.name,
  model_type: m.model_type,
  run_id: m.run_id,
  dataset_id: typeof m.metrics?.dataset_id === 'number' ? m.metrics.dataset_id : null,
  aliases: m.aliases,
});

/** A model version, or the version a run registered (`run:12`). */
export async function resolveCandidate(lab: LabContext, ref: string | number): Promise<ModelVersionView> {
  const text = String(ref).trim();
  const run = /^run[:-]?(\d+)$/i.exec(text);
  if (!run) return resolveModel(lab, text);
  const view = await getRun(lab, Number(run[1]));
  if (view.model_version === null) {
    throw new ValidationError(`run ${view.id} registered no model (it is ${view.status})`, [
      { field: 'candidate', problem: 'run has no model version' },
    ]);
  }
  return resolveModel(lab, view.model_version);
}

/** The normalised texts a model trained on (its dataset minus the test part), for exclusion. */
async function trainingKeys(lab: LabContext, model: ModelVersionView): Promise<Set<string>> {
  const datasetId = typeof model.metrics?.dataset_id === 'number' ? model.metrics.dataset_id : null;
  if (datasetId === null) return new Set();
  const seed = model.run_id !== null ? Number((await getRun(lab, model.run_id)).params.seed ?? 42) : 42;
  const { train } = trainTestOf(await loadExamples(lab, datasetId), seed);
  return new Set(train.map((e) => duplicateKey(e.text)));
}

const isFallbackLabel = (label: string) => FALLBACK_LABELS.includes(label.toLowerCase());

export async function promoteCheck(lab: LabContext, req: PromoteCheckRequest): Promise<PromoteCheckResult> {
  const alias = validateAlias(req.alias ?? 'production');
  const candidate = await resolveCandidate(lab, req.candidate);
  const baseline = await resolveModel(lab, req.baseline ?? 'production');
  if (candidate.id === baseline.id) {
    throw new ValidationError(`the candidate is the baseline (version ${candidate.version}): nothing to compare`, [
      { field: 'candidate', problem: 'same model as the baseline' },
    ]);
  }
  const datasetRef = req.dataset ?? (summary(candidate).dataset_id as number | null);
  if (datasetRef === null || datasetRef === undefined) {
    throw new ValidationError('the candidate records no training dataset: name one with --dataset', [
      { field: 'dataset', problem: 'is required' },
    ]);
  }
  const dataset = await findDataset(lab, datasetRef, 'dataset');
  const seed = candidate.run_id !== null ? Number((await getRun(lab, candidate.run_id)).params.seed ?? 42) : 42;
  const excluded = new Set([...(await trainingKeys(lab, candidate)), ...(await trainingKeys(lab, baseline))]);

  const examples: Array<{ text: string; truth: string }> = [];
  const seen = new Set<string>();
  for (const e of trainTestOf(await loadExamples(lab, dataset.id), seed).test) {
    const key = duplicateKey(e.text);
    if (excluded.has(key) || seen.has(key)) continue;
    seen.add(key);
    examples.push({ text: e.text, truth: e.label });
  }
  const testCount = examples.length;

  // Reviewed turns neither model trained on (nor already in the test set).
  let logIds: number[];
  if (req.reviews) {
    logIds = [];
    for (const ref of req.reviews) logIds.push((await findDataset(lab, ref, 'reviews')).id);
  } else {
    const rows = await lab.db.kysely.selectFrom('review_decisions').select('dataset_id').distinct().execute();
    logIds = rows.map((r) => Number(r.dataset_id));
  }
  const decided = [...(await latestDecisions(lab, logIds)).values()].filter((d) => d.decision !== 'skip');
  for (let i = 0; i < decided.length; i += 1000) {
    const chunk = decided.slice(i, i + 1000);
    const texts = new Map(
      (
        await lab.db.kysely
          .selectFrom('turns')
          .select(['id', 'text'])
          .where(
            'id',
            'in',
            chunk.map((d) => d.turn_id),
          )
          .execute()
      ).map((t) => [Number(t.id), t.text]),
    );
    for (const d of chunk) {
      const text = texts.get(d.turn_id);
      const truth = d.decision === 'oos' ? 'oos' : d.intent;
      if (text === undefined || truth === null) continue;
      const key = duplicateKey(text);
      if (excluded.has(key) || seen.has(key)) continue;
      seen.add(key);
      examples.push({ text, truth });
    }
  }
  if (examples.length === 0) {
    throw new ValidationError(
      `no held-out data: dataset ${dataset.name} has no test examples that neither model trained on, and no such reviewed turns`,
      [{ field: 'dataset', problem: 'no held-out examples' }],
    );
  }

  const score = async (model: ModelVersionView) => {
    const predictor = await getPredictor(lab, `${model.name}:${model.version}`);
    const out: Array<{ intent: string; fallback: boolean }> = [];
    for (let i = 0; i < examples.length; i += 512) {
      const batch = await predictor.predict(
        examples.slice(i, i + 512).map((e) => e.text),
        1,
      );
      out.push(...batch.map((p) => ({ intent: p.intent, fallback: p.fallback })));
    }
    // An out-of-scope turn is handled right when the model falls back (or predicts an oos label).
    const correct = out.map((p, i) => {
      const truth = examples[i]!.truth;
      return isFallbackLabel(truth) ? p.fallback || isFallbackLabel(p.intent) : p.intent === truth;
    });
    return { predicted: out.map((p) => p.intent), correct };
  };
  const base = await score(baseline);
  const cand = await score(candidate);

  const labels = [...new Set([...examples.map((e) => e.truth), ...base.predicted, ...cand.predicted])].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const truth = examples.map((e) => index.get(e.truth)!);
  const reportOf = (predicted: string[]) =>
    classificationReport(
      labels,
      truth,
      predicted.map((p) => index.get(p)!),
    );
  const rb = reportOf(base.predicted);
  const rc = reportOf(cand.predicted);
  const accuracy = (c: boolean[]) => c.filter(Boolean).length / c.length;
  const test = { ...mcnemar(base.correct, cand.correct), shared_examples: examples.length };

  const maxDrop = req.maxIntentDrop ?? 0.1;
  const minSupport = req.minIntentSupport ?? 5;
  const intentDeltas = labels
    .filter((l) => (rb.intents[l]?.support ?? 0) > 0)
    .map((intent) => {
      const b = rb.intents[intent]!['f1-score'];
      const c = rc.intents[intent]!['f1-score'];
      return { intent, support: rb.intents[intent]!.support, baseline: b, candidate: c, delta: c - b };
    })
    .sort((x, y) => x.delta - y.delta || x.intent.localeCompare(y.intent));

  const reasons: string[] = [];
  let verdict: Verdict = 'hold';
  const p = test.p_value.toPrecision(3);
  if (test.significant && test.b > test.c) {
    verdict = 'regressed';
    reasons.push(
      `the candidate is significantly worse (McNemar p = ${p}; ${test.b} examples only the baseline gets right, ${test.c} only the candidate)`,
    );
  } else if (test.significant && test.c > test.b) {
    const hurt = intentDeltas.filter((d) => d.support >= minSupport && d.delta < -maxDrop);
    if (hurt.length > 0) {
      reasons.push(
        `significantly better overall (p = ${p}) but F1 drops by more than ${maxDrop} on ${hurt.map((h) => `${h.intent} (${h.delta.toFixed(2)})`).join(', ')}`,
      );
    } else {
      verdict = 'promote';
      reasons.push(
        `the candidate is significantly better (McNemar p = ${p}; ${test.c} vs ${test.b} discordant examples)`,
      );
    }
  } else {
    reasons.push(`no significant difference (McNemar p = ${p} on ${examples.length} examples)`);
  }

  let applied = false;
  if (req.apply) {
    if (verdict === 'promote') {
      await setAlias(lab, `${candidate.name}:${candidate.version}`, alias);
      applied = true;
      reasons.push(`${alias} now points at version ${candidate.version}`);
    } else {
      reasons.push(`${alias} was not moved: the verdict is ${verdict}`);
    }
  }
  const after = applied ? await resolveModel(lab, `${candidate.name}:${candidate.version}`) : candidate;
  const baselineAfter = applied ? await resolveModel(lab, `${baseline.name}:${baseline.version}`) : baseline;
  return {
    candidate: summary(after),
    baseline: summary(baselineAfter),
    dataset: { id: dataset.id, name: dataset.name, version: dataset.version },
    held_out: { test_examples: testCount, reviewed_turns: examples.length - testCount, total: examples.length },
    metrics: {
      accuracy: {
        baseline: accuracy(base.correct),
        candidate: accuracy(cand.correct),
        delta: accuracy(cand.correct) - accuracy(base.correct),
      },
      macro_f1: { baseline: rb.macro_f1, candidate: rc.macro_f1, delta: rc.macro_f1 - rb.macro_f1 },
    },
    mcnemar: test,
    intent_f1_deltas: intentDeltas,
    verdict,
    reasons,
    alias,
    applied,
  };
}
