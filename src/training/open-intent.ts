/**
 * The open-intent (out-of-scope) protocol of Shu et al. (2017) and Zhang et al. (AAAI 2021), as
 * a story per seed:
 *   choose the known intents (a seeded random share of the dataset's intents) -> split (the
 *   dataset's test split, validation carved from train as a training run does) -> drop every
 *   training text of an unknown intent; in validation and test unknown intents become `oos` ->
 *   train on the known intents only -> score validation with a model that never saw it -> pick
 *   the out-of-scope score and the threshold on validation -> evaluate once on test.
 * Then mean ± std over seeds. Nothing is stored: it is an evaluation, not a model to serve.
 */
import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import {
  applyTemperature,
  auroc,
  chooseOpenSetScore,
  classificationReport,
  energyScores,
  formatOosObjective,
  knnCosineScores,
  meanStd,
  normaliseScores,
  outOfScopeMetrics,
  rowMax,
  selectThreshold,
  argmaxRows,
  type OosObjective,
  type OpenSetScore,
} from '../nlp/evaluation/index.js';
import { linearLogits } from '../nlp/linear.js';
import { TfidfLinearClassifier } from '../nlp/classifiers/tfidf-linear.js';
import { fitAndValidate } from '../nlp/fit.js';
import { getTrainer } from '../nlp/registry.js';
import type { IntentClassifier, LabelledText, TrainingEvent } from '../nlp/types.js';
import { validateParams, withDefaults, type ParamValue } from '../nlp/params.js';
import { seededRandom, shuffleInPlace } from '../nlp/random.js';
import { loadExamples, type TrainingExample } from './data.js';
import { checkOosObjective } from './evaluate.js';
import { checkModelType, resolveDataset, trainTestOf, trainValidationOf } from './pipeline.js';

export const OPEN_LABEL = 'oos';

export interface OpenIntentRequest {
  datasetId: string | number;
  /** Share of the dataset's intents treated as known (0 < r < 1). */
  knownRatio: number;
  /** How many seeds (known-intent draws and training seeds): seed, seed + 1, ... */
  seeds?: number;
  seed?: number;
  modelType?: string;
  overrides?: Record<string, unknown>;
  oosObjective?: string;
  validationFraction?: number;
  /**
   * Keep the open intents' texts out of validation, as the published protocol does (its
   * validation has known intents only): the score and threshold are then chosen without ever
   * seeing an unknown intent. Default false: open intents are `oos` in validation too.
   */
  knownOnlyValidation?: boolean;
  cacheDir?: string;
}

export interface OpenIntentProgress {
  seedIndex: number;
  seeds: number;
  /** Fraction of this seed's training done (0..1). */
  fraction: number;
  message: string;
}

/** Figures of one seed on test (and the AUROCs on validation). */
export interface OpenIntentSeedResult {
  seed: number;
  known_intents: string[];
  open_intents: string[];
  sizes: { train: number; validation: number; validation_open: number; test: number; test_open: number };
  /** Accuracy over all test texts: known ones need their intent, open ones must be rejected. */
  accuracy: number;
  /** Macro-F1 over the known intents plus the open class as one class. */
  macro_f1: number;
  f1_known: number;
  f1_open: number;
  in_scope_accuracy: number;
  oos_recall: number;
  oos_precision: number;
  /** Known-vs-open AUROC of each score, on validation (where the score is chosen) and test. */
  auroc: {
    validation: Partial<Record<OpenSetScore, number | null>>;
    test: Partial<Record<OpenSetScore, number | null>>;
  };
  score: OpenSetScore;
  score_reason: string;
  /** The threshold on the chosen score (normalised to [0, 1] by the validation range). */
  threshold: number;
  /** The same test figures with the max-softmax score, for comparison when another score won. */
  msp: { accuracy: number; macro_f1: number; in_scope_accuracy: number; oos_recall: number };
  temperature: number;
  validation_source: string;
}

export interface PublishedResult {
  method: string;
  accuracy: number;
  macro_f1: number;
  source: string;
}

const ADB = 'Zhang, Xu & Lin, AAAI 2021 (ADB paper)';
const TEXTOIR = 'TEXTOIR benchmark (Zhang et al.)';

/**
 * Published BANKING77 open-intent results (accuracy and macro-F1 over known intents + open, in %),
 * BERT-base features, validation without open examples, 10 seeds.
 */
export const PUBLISHED_BANKING77: ReadonlyMap<number, readonly PublishedResult[]> = new Map([
  [
    0.25,
    [
      { method: 'MSP', accuracy: 43.67, macro_f1: 50.09, source: ADB },
      { method: 'DOC', accuracy: 56.99, macro_f1: 58.03, source: ADB },
      { method: 'OpenMax', accuracy: 49.94, macro_f1: 54.14, source: ADB },
      { method: 'DeepUnk', accuracy: 64.21, macro_f1: 61.36, source: ADB },
      { method: 'ADB', accuracy: 78.85, macro_f1: 71.62, source: ADB },
      { method: 'KNNCL', accuracy: 73.01, macro_f1: 66.23, source: TEXTOIR },
      { method: 'DA-ADB', accuracy: 81.19, macro_f1: 73.73, source: TEXTOIR },
    ],
  ],
  [
    0.5,
    [
      { method: 'MSP', accuracy: 59.73, macro_f1: 71.18, source: ADB },
      { method: 'DOC', accuracy: 64.81, macro_f1: 73.12, source: ADB },
      { method: 'OpenMax', accuracy: 65.31, macro_f1: 74.24, source: ADB },
      { method: 'DeepUnk', accuracy: 72.73, macro_f1: 77.53, source: ADB },
      { method: 'ADB', accuracy: 78.86, macro_f1: 80.9, source: ADB },
      { method: 'KNNCL', accuracy: 70.41, macro_f1: 74.96, source: TEXTOIR },
      { method: 'DA-ADB', accuracy: 81.51, macro_f1: 82.53, source: TEXTOIR },
    ],
  ],
  [
    0.75,
    [
      { method: 'MSP', accuracy: 75.89, macro_f1: 83.6, source: ADB },
      { method: 'DOC', accuracy: 76.77, macro_f1: 83.34, source: ADB },
      { method: 'OpenMax', accuracy: 77.45, macro_f1: 84.07, source: ADB },
      { method: 'DeepUnk', accuracy: 78.52, macro_f1: 84.31, source: ADB },
      { method: 'ADB', accuracy: 81.08, macro_f1: 85.96, source: ADB },
      { method: 'KNNCL', accuracy: 74.78, macro_f1: 81.25, source: TEXTOIR },
      { method: 'DA-ADB', accuracy: 81.12, macro_f1: 85.65, source: TEXTOIR },
    ],
  ],
]);

const SUMMARY_KEYS = [
  'accuracy',
  'macro_f1',
  'f1_known',
  'f1_open',
  'in_scope_accuracy',
  'oos_recall',
  'oos_precision',
] as const;

export interface OpenIntentReport {
  dataset: { id: number; name: string; type: string };
  model_type: string;
  known_ratio: number;
  seeds: number[];
  oos_objective: string;
  /** Whether validation held open-intent texts (false = the published protocol's known-only validation). */
  open_in_validation: boolean;
  summary: Record<(typeof SUMMARY_KEYS)[number], { mean: number; std: number }>;
  /** Mean ± std of the known-vs-open AUROC of each score on test. */
  auroc_test: Partial<Record<OpenSetScore, { mean: number; std: number }>>;
  per_seed: OpenIntentSeedResult[];
  /** Published BANKING77 figures at this known ratio (empty for other datasets or ratios). */
  published: readonly PublishedResult[];
}

export function checkKnownRatio(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value >= 1) {
    throw new ValidationError(
      `known ratio must be a number between 0 and 1, exclusive (got ${JSON.stringify(value)})`,
      [{ field: 'known_ratio', problem: 'must be > 0 and < 1' }],
    );
  }
  return value;
}

/**
 * The seeded choice of known intents: the sorted intents shuffled with the seed, the first
 * round(ratio × n) kept (at least 2 so a classifier can train, at least 1 left open).
 */
export function chooseKnownIntents(
  intents: readonly string[],
  knownRatio: number,
  seed: number,
): { known: string[]; open: string[] } {
  const sorted = [...new Set(intents)].sort();
  if (sorted.length < 3) {
    throw new ValidationError(`open-intent evaluation needs at least 3 intents (the data has ${sorted.length})`, [
      { field: 'dataset_id', problem: 'fewer than 3 intents' },
    ]);
  }
  const count = Math.min(sorted.length - 1, Math.max(2, Math.round(knownRatio * sorted.length)));
  const shuffled = shuffleInPlace(sorted, seededRandom(seed));
  return { known: shuffled.slice(0, count).sort(), open: shuffled.slice(count).sort() };
}

export interface OpenIntentSplit {
  known: string[];
  open: string[];
  /** Known intents only. */
  train: LabelledText[];
  /** Every validation text; open intents relabelled `oos`. */
  validation: LabelledText[];
  /** Every test text; open intents relabelled `oos`. */
  test: LabelledText[];
}

/**
 * The protocol's data for one seed. Texts already labelled `oos` in the data are open whatever
 * the draw (they are never a known intent).
 */
export function openIntentSplit(
  examples: readonly TrainingExample[],
  knownRatio: number,
  seed: number,
  validationFraction = 0.1,
  knownOnlyValidation = false,
): OpenIntentSplit {
  const intents = examples.map((e) => e.label).filter((l) => l !== OPEN_LABEL);
  const { known, open } = chooseKnownIntents(intents, knownRatio, seed);
  const isKnown = new Set(known);
  const { train: pool, test } = trainTestOf([...examples], seed);
  const { train, validation } = trainValidationOf(pool, validationFraction, seed);
  const relabel = (e: TrainingExample): LabelledText => ({
    text: e.text,
    label: isKnown.has(e.label) ? e.label : OPEN_LABEL,
  });
  return {
    known,
    open,
    train: train.filter((e) => isKnown.has(e.label)).map(({ text, label }) => ({ text, label })),
    validation: (knownOnlyValidation ? validation.filter((e) => isKnown.has(e.label)) : validation).map(relabel),
    test: test.map(relabel),
  };
}

/** Test figures of predictions made with a threshold: `accepted[i]` false = sent to `oos`. */
export function openIntentMetrics(
  known: readonly string[],
  truth: readonly string[],
  predicted: readonly string[],
  accepted: readonly boolean[],
) {
  const final = predicted.map((p, i) => (accepted[i] ? p : OPEN_LABEL));
  const labels = [...known, OPEN_LABEL];
  const index = new Map(labels.map((l, i) => [l, i]));
  const yTrue = truth.map((t) => index.get(t) ?? index.get(OPEN_LABEL)!);
  const yPred = final.map((p) => index.get(p) ?? index.get(OPEN_LABEL)!);
  const report = classificationReport(labels, yTrue, yPred);
  const f1Known = known.reduce((s, l) => s + report.intents[l]!['f1-score'], 0) / known.length;
  const oos = outOfScopeMetrics(
    truth,
    final,
    accepted.map((a) => !a),
    OPEN_LABEL,
  );
  return {
    accuracy: report.accuracy,
    macro_f1: report.macro_f1,
    f1_known: f1Known,
    f1_open: report.intents[OPEN_LABEL]!['f1-score'],
    in_scope_accuracy: oos?.in_scope_accuracy ?? 0,
    oos_recall: oos?.oos_recall ?? 0,
    oos_precision: oos?.oos_precision ?? 0,
  };
}

/**
 * Every out-of-scope score the model exposes cheaply, for the given texts: `msp` always (from the
 * served, temperature-scaled probabilities); for tfidf-linear also `max_logit`, `energy` and
 * `knn_cosine` (to the training texts' TF-IDF rows). Only for a model that never trained on
 * `texts`; a refit model's own logits on validation are memorised, so it gets `msp` only.
 */
function scoresOf(
  classifier: IntentClassifier,
  proba: Float32Array,
  texts: string[],
  trainTexts: string[] | null,
): Partial<Record<OpenSetScore, Float64Array>> {
  const k = classifier.labels.length;
  const out: Partial<Record<OpenSetScore, Float64Array>> = { msp: rowMax(proba, k) };
  if (trainTexts && classifier instanceof TfidfLinearClassifier) {
    const x = classifier.vectorizer.transform(texts);
    const logits = new Float32Array(texts.length * k);
    linearLogits(classifier.model, x, logits);
    out.max_logit = rowMax(logits, k);
    out.energy = energyScores(logits, k, classifier.temperature);
    out.knn_cosine = knnCosineScores(x, classifier.vectorizer.transform(trainTexts), 10);
  }
  return out;
}

async function evaluateSeed(
  examples: readonly TrainingExample[],
  req: { knownRatio: number; seed: number; modelType: string; params: Record<string, ParamValue> },
  options: { objective?: OosObjective; validationFraction: number; knownOnlyValidation: boolean; cacheDir?: string },
  onEvent: (e: TrainingEvent) => void,
): Promise<OpenIntentSeedResult> {
  const split = openIntentSplit(
    examples,
    req.knownRatio,
    req.seed,
    options.validationFraction,
    options.knownOnlyValidation,
  );
  const trainer = getTrainer(req.modelType as never);
  const fit = await fitAndValidate(trainer, split.train, split.validation, {
    params: req.params,
    seed: req.seed,
    cacheDir: options.cacheDir,
    onEvent,
    refitOn: split.validation.filter((e) => e.label !== OPEN_LABEL),
  });
  const { classifier } = fit;
  const k = classifier.labels.length;
  const valTexts = split.validation.map((e) => e.text);
  const testTexts = split.test.map((e) => e.text);
  const valProba = applyTemperature(fit.validationProba, k, fit.temperature);
  const testProba = await classifier.predictProba(testTexts);
  const trainTexts = fit.validationSource === 'held-out' ? split.train.map((e) => e.text) : null;
  const valScores = scoresOf(classifier, valProba, valTexts, trainTexts);
  const testScores = scoresOf(classifier, testProba, testTexts, trainTexts);

  const valKnown = split.validation.map((e) => e.label !== OPEN_LABEL);
  const testKnown = split.test.map((e) => e.label !== OPEN_LABEL);
  const aurocOf = (scores: typeof valScores, known: boolean[]) =>
    Object.fromEntries(Object.entries(scores).map(([name, s]) => [name, auroc(s!, known)])) as Partial<
      Record<OpenSetScore, number | null>
    >;
  const valAuroc = aurocOf(valScores, valKnown);
  const choice = chooseOpenSetScore(valAuroc);

  const valPred = argmaxRows(valProba, k).pred;
  const testPred = argmaxRows(testProba, k).pred;
  const valCorrect = valPred.map((p, i) => classifier.labels[p] === split.validation[i]!.label);
  const valOpen = valKnown.map((known) => !known);
  const truth = split.test.map((e) => e.label);
  const predicted = testPred.map((p) => classifier.labels[p]!);

  /** Threshold on validation for one score, then the test figures with it. */
  const evaluateWith = (name: OpenSetScore) => {
    const val = valScores[name]!;
    let min = Infinity;
    let max = -Infinity;
    for (const s of val) {
      min = Math.min(min, s);
      max = Math.max(max, s);
    }
    // msp is already a confidence in [0, 1]; other scores are mapped there by the validation range.
    const norm = (s: Float64Array) => (name === 'msp' ? Array.from(s) : normaliseScores(s, min, max));
    const chosen = selectThreshold(norm(val), valCorrect, valOpen, {
      objective: options.objective,
      maxThreshold: name === 'msp' ? undefined : 1,
    });
    const accepted = norm(testScores[name]!).map((s) => s >= chosen.threshold);
    return { threshold: chosen.threshold, ...openIntentMetrics(split.known, truth, predicted, accepted) };
  };
  const best = evaluateWith(choice.score);
  const msp = choice.score === 'msp' ? best : evaluateWith('msp');
  const { threshold, ...figures } = best;
  return {
    seed: req.seed,
    known_intents: split.known,
    open_intents: split.open,
    sizes: {
      train: split.train.length,
      validation: split.validation.length,
      validation_open: valOpen.filter(Boolean).length,
      test: split.test.length,
      test_open: testKnown.filter((known) => !known).length,
    },
    ...figures,
    auroc: { validation: valAuroc, test: aurocOf(testScores, testKnown) },
    score: choice.score,
    score_reason: choice.reason,
    threshold,
    msp: {
      accuracy: msp.accuracy,
      macro_f1: msp.macro_f1,
      in_scope_accuracy: msp.in_scope_accuracy,
      oos_recall: msp.oos_recall,
    },
    temperature: fit.temperature,
    validation_source: fit.validationSource,
  };
}

/** Runs the protocol over `seeds` seeds and summarises mean ± std. */
export async function evaluateOpenIntent(
  lab: LabContext,
  req: OpenIntentRequest,
  onProgress?: (p: OpenIntentProgress) => void,
): Promise<OpenIntentReport> {
  const knownRatio = checkKnownRatio(req.knownRatio);
  const seeds = req.seeds ?? 3;
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > 20) {
    throw new ValidationError(`seeds must be an integer between 1 and 20 (got ${JSON.stringify(req.seeds)})`, [
      { field: 'seeds', problem: 'must be an integer between 1 and 20' },
    ]);
  }
  const firstSeed = req.seed ?? 0;
  const modelType = checkModelType(req.modelType ?? 'tfidf-linear');
  const trainer = getTrainer(modelType);
  const params = withDefaults(trainer.paramSpec, validateParams(trainer.paramSpec, req.overrides ?? {}));
  const objective = checkOosObjective(req.oosObjective);
  const validationFraction = req.validationFraction ?? 0.1;
  const dataset = await resolveDataset(lab, { datasetId: req.datasetId });
  const examples = await loadExamples(lab, dataset.id);
  if (examples.length === 0) {
    throw new ValidationError(`dataset "${dataset.name}" has no labelled examples`, [
      { field: 'dataset_id', problem: 'no labelled examples' },
    ]);
  }

  const perSeed: OpenIntentSeedResult[] = [];
  for (let i = 0; i < seeds; i++) {
    const seed = firstSeed + i;
    const report = (fraction: number, message: string) =>
      onProgress?.({ seedIndex: i, seeds, fraction, message: `seed ${seed}: ${message}` });
    report(0, 'training');
    const onEvent = (e: TrainingEvent) => {
      if (e.phase === 'train') report(e.epoch / e.epochs, `epoch ${e.epoch}/${e.epochs}`);
      else if (e.phase === 'featurise' || e.phase === 'embed') report(0, `${e.phase} ${e.done}/${e.total}`);
    };
    perSeed.push(
      await evaluateSeed(
        examples,
        { knownRatio, seed, modelType, params },
        {
          objective,
          validationFraction,
          knownOnlyValidation: req.knownOnlyValidation ?? false,
          cacheDir: req.cacheDir,
        },
        onEvent,
      ),
    );
    report(1, 'evaluated');
  }

  const summary = Object.fromEntries(
    SUMMARY_KEYS.map((key) => [key, meanStd(perSeed.map((r) => r[key]))]),
  ) as OpenIntentReport['summary'];
  const aurocTest: OpenIntentReport['auroc_test'] = {};
  for (const name of Object.keys(perSeed[0]!.auroc.test) as OpenSetScore[]) {
    const values = perSeed.map((r) => r.auroc.test[name]).filter((v): v is number => typeof v === 'number');
    if (values.length) aurocTest[name] = meanStd(values);
  }
  return {
    dataset: { id: dataset.id, name: dataset.name, type: dataset.type },
    model_type: modelType,
    known_ratio: knownRatio,
    seeds: perSeed.map((r) => r.seed),
    oos_objective: formatOosObjective(objective ?? { kind: 'accuracy' }),
    open_in_validation: !req.knownOnlyValidation,
    summary,
    auroc_test: aurocTest,
    per_seed: perSeed,
    published: dataset.type === 'banking77' ? (PUBLISHED_BANKING77.get(knownRatio) ?? []) : [],
  };
}
