/**
 * A registered version's reference profile, computed from its validation data (texts the model
 * did not train on, with the model's own predictions) when the version is registered. Drift
 * signals compare live traffic of that version against it.
 */
import type { LabContext } from '../../lab/context.js';
import { words } from '../../nlp/tokenize.js';
import { createRng, shuffleInPlace } from '../../nlp/random.js';
import { EMBEDDING_DIM, LENGTH_BUCKETS, hashedEmbedding, lengthBucket, tokenFigures } from './text-features.js';
import { medianHeuristicGamma } from './drift.js';

export const CONFIDENCE_BINS = 100;
/** Embedding vectors kept in the profile for the MMD test (mean + sample stay small: ~100 KB). */
export const EMBEDDING_SAMPLE = 150;

export interface BaselineProfile {
  source: 'validation';
  examples: number;
  threshold: number;
  /** Predicted-intent counts on the validation texts, by intent. */
  intent_counts: Array<[string, number]>;
  /** Confidence histogram over [0, 1] in CONFIDENCE_BINS equal bins. */
  confidence_hist: number[];
  confidence_mean: number;
  fallback_rate: number;
  /** Text-length histogram over LENGTH_BUCKETS (characters). */
  length_hist: number[];
  length_mean: number;
  /** Share of validation word tokens absent from the training vocabulary. */
  oov_rate: number;
  /** The training vocabulary (lower-cased word tokens of the lab's tokenizer). */
  vocabulary: string[];
  embedding: { kind: 'hashed-bow'; dim: number; mean: number[]; sample: number[][]; gamma: number };
}

export interface BaselineInput {
  labels: string[];
  threshold: number;
  trainTexts: string[];
  validationTexts: string[];
  /** Row-major probabilities on the validation texts (texts x labels). */
  validationProba: ArrayLike<number>;
  seed?: number;
}

export function confidenceBin(confidence: number): number {
  return Math.min(CONFIDENCE_BINS - 1, Math.max(0, Math.floor(confidence * CONFIDENCE_BINS)));
}

const round = (x: number, digits = 5) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Pure: the profile of a version from its validation predictions. */
export function computeBaseline(input: BaselineInput): BaselineProfile {
  const { labels, validationTexts: texts, validationProba: proba } = input;
  const k = labels.length;
  const intentCounts = new Map<string, number>();
  const confidenceHist = new Array<number>(CONFIDENCE_BINS).fill(0);
  const lengthHist = new Array<number>(LENGTH_BUCKETS.length).fill(0);
  let confSum = 0;
  let fallbacks = 0;
  let lengthSum = 0;
  for (let i = 0; i < texts.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (proba[i * k + j]! > proba[i * k + best]!) best = j;
    const conf = proba[i * k + best]!;
    const intent = labels[best]!;
    intentCounts.set(intent, (intentCounts.get(intent) ?? 0) + 1);
    confidenceHist[confidenceBin(conf)]!++;
    confSum += conf;
    if (conf < input.threshold) fallbacks++;
    lengthHist[lengthBucket(texts[i]!.length)]!++;
    lengthSum += texts[i]!.length;
  }
  const vocabulary = new Set<string>();
  for (const t of input.trainTexts) for (const w of words(t)) vocabulary.add(w);
  let tokens = 0;
  let oov = 0;
  for (const t of texts) {
    const f = tokenFigures(t, vocabulary);
    tokens += f.tokens;
    oov += f.oov ?? 0;
  }
  // Embedding summary: the mean of all validation embeddings and a seeded sample for MMD.
  const mean = new Float64Array(EMBEDDING_DIM);
  const embeddings = texts.map((t) => hashedEmbedding(t));
  for (const e of embeddings) for (let d = 0; d < EMBEDDING_DIM; d++) mean[d]! += e[d]! / Math.max(1, texts.length);
  const order = embeddings.map((_, i) => i);
  shuffleInPlace(order, createRng(input.seed ?? 42));
  const sample = order.slice(0, EMBEDDING_SAMPLE).map((i) => Array.from(embeddings[i]!, (x) => round(x, 4)));
  const n = Math.max(1, texts.length);
  return {
    source: 'validation',
    examples: texts.length,
    threshold: input.threshold,
    intent_counts: [...intentCounts.entries()].sort((a, b) => b[1] - a[1]),
    confidence_hist: confidenceHist,
    confidence_mean: round(confSum / n),
    fallback_rate: round(fallbacks / n),
    length_hist: lengthHist,
    length_mean: round(lengthSum / n, 2),
    oov_rate: round(tokens > 0 ? oov / tokens : 0),
    vocabulary: [...vocabulary].sort(),
    embedding: {
      kind: 'hashed-bow',
      dim: EMBEDDING_DIM,
      mean: Array.from(mean, (x) => round(x)),
      sample,
      gamma: medianHeuristicGamma(sample),
    },
  };
}

/**
 * Computes and stores the baseline of a just-registered version. Called once by the training
 * pipeline after registration; a failure here is reported to the caller's log and never fails
 * the run (the version simply has no baseline, and its signals say so).
 */
export async function storeBaseline(
  lab: LabContext,
  version: { name: string; version: number },
  input: BaselineInput,
): Promise<BaselineProfile | null> {
  const row = await lab.db.kysely
    .selectFrom('model_versions')
    .select('id')
    .where('name', '=', version.name)
    .where('version', '=', version.version)
    .executeTakeFirst();
  if (!row || input.validationTexts.length === 0) return null;
  const profile = computeBaseline(input);
  await lab.db.kysely
    .insertInto('model_baselines')
    .values({
      model_version_id: row.id,
      model_name: version.name,
      model_version: version.version,
      profile: JSON.stringify(profile),
    })
    .execute();
  return profile;
}

/** `storeBaseline` that never throws: what the training pipeline calls after registering a version. */
export async function recordBaseline(
  lab: LabContext,
  version: { name: string; version: number },
  input: BaselineInput,
): Promise<BaselineProfile | null> {
  try {
    return await storeBaseline(lab, version, input);
  } catch {
    return null;
  }
}

export async function loadBaseline(lab: LabContext, name: string, version: number): Promise<BaselineProfile | null> {
  const row = await lab.db.kysely
    .selectFrom('model_baselines')
    .select('profile')
    .where('model_name', '=', name)
    .where('model_version', '=', version)
    .executeTakeFirst();
  return row ? (JSON.parse(row.profile) as BaselineProfile) : null;
}

export async function loadVocabulary(
  lab: LabContext,
  name: string,
  version: number,
): Promise<ReadonlySet<string> | null> {
  const profile = await loadBaseline(lab, name, version);
  return profile ? new Set(profile.vocabulary) : null;
}
