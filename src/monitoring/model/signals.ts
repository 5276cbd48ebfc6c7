import type { SignalStatus, SignalSet, ModelSignals, SeriesPoint } from '../../api/contracts/monitoring.js';

/** The answers' shapes are declared in the API contract (src/api/contracts/monitoring.ts). */
export type { SignalStatus, SignalSet, ModelSignals, SeriesPoint } from '../../api/contracts/monitoring.js';
/**
 * Drift signals of one model version over a window of its logged predictions, against the
 * version's baseline. Aggregation runs in SQL (the same on both dialects), so a window of a day
 * of traffic reads counts and histograms, not rows; only the embedding test reads texts (a
 * bounded sample). Signals are computed from the shared table, so every API instance's
 * predictions count.
 */
import { sql, type Kysely } from 'kysely';
import type { LabContext } from '../../lab/context.js';
import { NotFoundError } from '../../core/errors.js';
import type { Database } from '../../db/schema.js';
import { resolveModel, type ModelVersionView } from '../../experiments/registry.js';
import { CONFIDENCE_BINS, confidenceBin, loadBaseline, type BaselineProfile } from './baseline.js';
import { histogramPsi, jsDistance, ksFromHistograms, ksPValue, mmd2, psi, topMovedIntents } from './drift.js';
import { LENGTH_BUCKETS, hashedEmbedding } from './text-features.js';
export { parseWindow } from './window.js';

/**
 * Warn thresholds (documented in README). Intent shift: a JS distance of 0.3 is well above the
 * sampling noise of a window of 10 predictions per intent against a validation-sized baseline
 * (about 0.2 with 77 intents), and PSI 0.25 is the usual "significant shift" mark. Confidence
 * and rates are absolute moves from the baseline. MMD² 0.01: calibrated on BANKING77 (200 test
 * texts against a 150-text baseline sample: about 0.0006; 200 out-of-domain SGD user turns: about
 * 0.025; 85 % SGD: about 0.017).
 */
export const WARN = {
  intent_js_distance: 0.3,
  intent_psi: 0.25,
  confidence_ks: 0.15,
  confidence_mean_drop: 0.1,
  fallback_rate_rise: 0.1,
  length_psi: 0.25,
  oov_rate_rise: 0.1,
  embedding_mmd2: 0.01,
} as const;

/** Fewer predictions than this in a window: "not enough data" instead of noise. */
export const MIN_PREDICTIONS = 100;
/** The intent distribution needs about 10 predictions per intent to be compared at all. */
export function minPredictions(labelCount: number): number {
  return Math.max(MIN_PREDICTIONS, 10 * labelCount);
}
/** Window texts embedded for the MMD test (the most recent ones with stored text). */
export const EMBEDDING_WINDOW_SAMPLE = 200;

/** The version the monitoring looks at: the given one, else `production`, else the newest logged or registered one. */
export async function watchedVersion(lab: LabContext, ref?: string): Promise<ModelVersionView> {
  if (ref !== undefined && ref.trim() !== '') return resolveModel(lab, ref);
  try {
    return await resolveModel(lab, 'production');
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  const logged = await lab.db.kysely
    .selectFrom('prediction_log')
    .select(['model_name', 'model_version'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (logged) return resolveModel(lab, `${logged.model_name}:${logged.model_version}`);
  const newest = await lab.db.kysely
    .selectFrom('model_versions')
    .select(['name', 'version'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  // With nothing registered, resolveModel's 404 says what to do.
  return resolveModel(lab, newest ? `${newest.name}:${newest.version}` : 'production');
}

export interface WindowSpec {
  from: number;
  to: number;
  /** Only the most recent `limit` predictions in [from, to) (the alert window). */
  limit?: number;
}

type Db = Kysely<Database>;

function windowRows(db: Db, version: ModelVersionView, spec: WindowSpec) {
  let q = db
    .selectFrom('prediction_log')
    .select([
      'id',
      'turn_id',
      'ts',
      'intent',
      'confidence',
      'fallback',
      'text_length',
      'token_count',
      'oov_count',
      'text_stored',
    ])
    .where('model_name', '=', version.name)
    .where('model_version', '=', version.version)
    .where('ts', '>=', spec.from)
    .where('ts', '<', spec.to);
  if (spec.limit !== undefined) q = q.orderBy('ts', 'desc').orderBy('id', 'desc').limit(spec.limit);
  return q;
}

const round = (x: number | null, digits = 4) => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);

/** Computes every signal of `version` over `spec`. */
export async function computeSignals(
  lab: LabContext,
  version: ModelVersionView,
  spec: WindowSpec,
): Promise<ModelSignals> {
  const db = lab.db.kysely;
  const baseline = await loadBaseline(lab, version.name, version.version);
  const w = () => db.selectFrom(windowRows(db, version, spec).as('w'));

  const summary = await w()
    .select((eb) => [
      eb.fn.countAll<number>().as('n'),
      eb.fn.avg<number>('w.confidence').as('confidence_mean'),
      eb.fn.avg<number>('w.fallback').as('fallback_rate'),
      eb.fn.avg<number>('w.text_length').as('length_mean'),
      eb.fn.sum<number>('w.token_count').as('tokens'),
      eb.fn.sum<number>('w.oov_count').as('oov'),
      eb.fn.count<number>('w.oov_count').as('oov_rows'),
      eb.fn.sum<number>(sql`case when w.confidence < ${version.threshold} then 1 else 0 end`).as('below'),
    ])
    .executeTakeFirstOrThrow();
  const n = Number(summary.n);
  const labelCount = version.labels.length;
  const minN = minPredictions(labelCount);
  const enough = n >= MIN_PREDICTIONS;
  const enoughForIntents = n >= minN;

  const intentRows = await w()
    .select(['w.intent', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('w.intent')
    .execute();
  const windowCounts = new Map(intentRows.map((r) => [r.intent, Number(r.n)]));
  // Literal constants in grouped expressions, for PostgreSQL (see signalSeries).
  const binExpr =
    lab.db.dialect === 'postgres'
      ? sql<number>`floor(w.confidence * ${sql.lit(CONFIDENCE_BINS)})`
      : sql<number>`cast(w.confidence * ${sql.lit(CONFIDENCE_BINS)} as integer)`;
  const confRows = await w()
    .select([binExpr.as('bin'), (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(binExpr)
    .execute();
  const confHist = new Array<number>(CONFIDENCE_BINS).fill(0);
  for (const r of confRows) confHist[confidenceBin(Number(r.bin) / CONFIDENCE_BINS)]! += Number(r.n);
  const lengthExpr = sql<number>`case ${sql.join(
    LENGTH_BUCKETS.slice(0, -1).map((upper, i) => sql`when w.text_length < ${sql.lit(upper)} then ${sql.lit(i)}`),
    sql` `,
  )} else ${sql.lit(LENGTH_BUCKETS.length - 1)} end`;
  const lengthRows = await w()
    .select([lengthExpr.as('bucket'), (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(lengthExpr)
    .execute();
  const lengthHist = new Array<number>(LENGTH_BUCKETS.length).fill(0);
  for (const r of lengthRows) lengthHist[Number(r.bucket)]! += Number(r.n);

  const baselineCounts = new Map(baseline?.intent_counts ?? []);
  const status = (ready: boolean, warn: boolean | null): SignalStatus =>
    !baseline ? 'unavailable' : !ready ? 'not_enough_data' : warn ? 'warn' : 'ok';

  // Intent distribution.
  const js = baseline && enoughForIntents ? jsDistance(windowCounts, baselineCounts) : null;
  const intentPsi = baseline && enoughForIntents ? psi(windowCounts, baselineCounts) : null;
  const moved = baseline && enoughForIntents ? topMovedIntents(windowCounts, baselineCounts, 5) : [];

  // Confidence.
  const mean = enough ? Number(summary.confidence_mean) : null;
  const ks = baseline && enough ? ksFromHistograms(confHist, baseline.confidence_hist) : null;
  const ksP = ks === null || !baseline ? null : ksPValue(ks, n, baseline.examples);
  const below = enough ? Number(summary.below) / n : null;

  // Rates.
  const fallback = enough ? Number(summary.fallback_rate) : null;
  const oovRows = Number(summary.oov_rows);
  const oovRate =
    enough && oovRows > 0 && Number(summary.tokens) > 0 ? Number(summary.oov) / Number(summary.tokens) : null;
  const lengthPsi = baseline && enough ? histogramPsi(lengthHist, baseline.length_hist) : null;

  const embedding = await embeddingDrift(lab, version, spec, baseline, enough);

  const signals: SignalSet = {
    intent_drift: {
      status: status(enoughForIntents, js !== null && (js > WARN.intent_js_distance || intentPsi! > WARN.intent_psi)),
      js_distance: round(js),
      psi: round(intentPsi),
      warn: { js_distance: WARN.intent_js_distance, psi: WARN.intent_psi },
      top_moved: moved.map((m) => ({
        ...m,
        baseline_share: round(m.baseline_share)!,
        window_share: round(m.window_share)!,
        delta: round(m.delta)!,
      })),
    },
    confidence: {
      status: status(
        enough,
        ks !== null && (ks > WARN.confidence_ks || mean! < baseline!.confidence_mean - WARN.confidence_mean_drop),
      ),
      mean: round(mean),
      baseline_mean: baseline?.confidence_mean ?? null,
      share_below_threshold: round(below),
      baseline_share_below_threshold: baseline?.fallback_rate ?? null,
      ks_statistic: round(ks),
      ks_p_value: round(ksP, 6),
      warn: { ks_statistic: WARN.confidence_ks, mean_drop: WARN.confidence_mean_drop },
    },
    fallback_rate: {
      status: status(
        enough,
        fallback !== null && baseline !== null && fallback > baseline.fallback_rate + WARN.fallback_rate_rise,
      ),
      value: round(fallback),
      baseline: baseline?.fallback_rate ?? null,
      warn_above: baseline ? round(baseline.fallback_rate + WARN.fallback_rate_rise) : null,
    },
    text_length: {
      status: status(enough, lengthPsi !== null && lengthPsi > WARN.length_psi),
      mean: enough ? round(Number(summary.length_mean), 2) : null,
      baseline_mean: baseline?.length_mean ?? null,
      psi: round(lengthPsi),
      warn: { psi: WARN.length_psi },
    },
    oov_rate: {
      status: status(enough, oovRate !== null && baseline !== null && oovRate > baseline.oov_rate + WARN.oov_rate_rise),
      value: round(oovRate),
      baseline: baseline?.oov_rate ?? null,
      warn_above: baseline ? round(baseline.oov_rate + WARN.oov_rate_rise) : null,
    },
    embedding_drift: embedding,
  };
  const anyWarn = Object.values(signals).some((s) => s.status === 'warn');
  const allKeys = new Set([...baselineCounts.keys(), ...windowCounts.keys()]);
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const bTotal = total(baselineCounts);
  const wTotal = total(windowCounts);
  return {
    model: {
      name: version.name,
      version: version.version,
      model_type: version.model_type,
      threshold: version.threshold,
      aliases: version.aliases,
    },
    window: {
      from: new Date(spec.from).toISOString(),
      to: new Date(spec.to).toISOString(),
      limit: spec.limit ?? null,
    },
    predictions: n,
    min_predictions: minN,
    status: !baseline ? 'no_baseline' : !enough ? 'not_enough_data' : anyWarn ? 'warn' : 'ok',
    baseline: baseline
      ? {
          examples: baseline.examples,
          fallback_rate: baseline.fallback_rate,
          confidence_mean: baseline.confidence_mean,
          oov_rate: baseline.oov_rate,
          length_mean: baseline.length_mean,
        }
      : null,
    signals,
    intents: [...allKeys]
      .map((intent) => ({
        intent,
        baseline_share: round(bTotal ? (baselineCounts.get(intent) ?? 0) / bTotal : 0)!,
        window_share: round(wTotal ? (windowCounts.get(intent) ?? 0) / wTotal : 0)!,
      }))
      .sort((a, b) => b.baseline_share - a.baseline_share || b.window_share - a.window_share),
  };
}

/**
 * Embedding drift: unbiased MMD² with an RBF kernel between the baseline's embedding sample and
 * the most recent window texts. Chosen over a domain-classifier AUC because it needs no training
 * per evaluation (deterministic, ~10 ms for 150 × 200 vectors), has no hyper-parameters beyond the
 * kernel width (fixed from the baseline sample by the median heuristic) and is ~0 without drift
 * at any window size, so one threshold serves every window. Hashed mode keeps no text, so it has
 * no embedding signal.
 */
async function embeddingDrift(
  lab: LabContext,
  version: ModelVersionView,
  spec: WindowSpec,
  baseline: BaselineProfile | null,
  enough: boolean,
): Promise<SignalSet['embedding_drift']> {
  const method = 'MMD² (RBF kernel, median-heuristic width) over hashed bag-of-words embeddings';
  const base = { method, warn: WARN.embedding_mmd2 };
  if (!baseline) return { ...base, status: 'unavailable', mmd2: null, sample: 0 };
  if (!enough) return { ...base, status: 'not_enough_data', mmd2: null, sample: 0 };
  const db = lab.db.kysely;
  const rows = await db
    .selectFrom(windowRows(db, version, spec).as('w'))
    .innerJoin('turns', 'turns.id', 'w.turn_id')
    .select('turns.text')
    .where('w.text_stored', '=', 1)
    .orderBy('w.ts', 'desc')
    .orderBy('w.id', 'desc')
    .limit(EMBEDDING_WINDOW_SAMPLE)
    .execute();
  if (rows.length < Math.min(MIN_PREDICTIONS, EMBEDDING_WINDOW_SAMPLE)) {
    return {
      ...base,
      status: 'unavailable',
      mmd2: null,
      sample: rows.length,
      note: 'too few predictions with stored text (PREDICTION_LOG=hashed keeps none)',
    };
  }
  const window = rows.map((r) => hashedEmbedding(r.text));
  const value = mmd2(baseline.embedding.sample, window, baseline.embedding.gamma);
  return {
    ...base,
    status: value > WARN.embedding_mmd2 ? 'warn' : 'ok',
    mmd2: round(value),
    sample: rows.length,
  };
}

/** Per-bucket prediction count, fallback rate and mean confidence over [from, to). */
export async function signalSeries(
  lab: LabContext,
  version: ModelVersionView,
  spec: WindowSpec,
  bucketMs: number,
): Promise<SeriesPoint[]> {
  const db = lab.db.kysely;
  // Literals, not parameters: PostgreSQL matches the GROUP BY expression to the selected one only
  // when they are the same text (two parameters are two different expressions to it).
  const bucket = sql<number>`(w.ts - ${sql.lit(Math.floor(spec.from))}) / ${sql.lit(Math.floor(bucketMs))}`;
  const rows = await db
    .selectFrom(windowRows(db, version, { from: spec.from, to: spec.to }).as('w'))
    .select([
      bucket.as('b'),
      (eb) => eb.fn.countAll<number>().as('n'),
      (eb) => eb.fn.avg<number>('w.fallback').as('fallback_rate'),
      (eb) => eb.fn.avg<number>('w.confidence').as('confidence_mean'),
    ])
    .groupBy(bucket)
    .execute();
  const byBucket = new Map(rows.map((r) => [Math.floor(Number(r.b)), r]));
  const points: SeriesPoint[] = [];
  for (let i = 0, t = spec.from; t < spec.to; i++, t += bucketMs) {
    const r = byBucket.get(i);
    points.push({
      t: new Date(t).toISOString(),
      predictions: r ? Number(r.n) : 0,
      fallback_rate: r ? round(Number(r.fallback_rate)) : null,
      confidence_mean: r ? round(Number(r.confidence_mean)) : null,
    });
  }
  return points;
}
