import type { TradeoffCurve } from '../../reports/tradeoff-chart.js';
import { Type, type Static } from '@sinclair/typebox';
import { RunSchema } from './training.js';

/**
 * Shapes of the model registry, run comparison and run evaluation answers, declared once: the
 * routes document and serialise with them, the dashboard imports the derived types.
 */

const Json = Type.Unknown();

/** McNemar's test on the examples two models both scored (run comparison and promote-check). */
export const McNemarSchema = Type.Object({
  b: Type.Integer({ description: 'baseline right, candidate wrong' }),
  c: Type.Integer({ description: 'baseline wrong, candidate right' }),
  method: Type.String(),
  statistic: Type.Number(),
  p_value: Type.Number(),
  significant: Type.Boolean(),
  alpha: Type.Number(),
  shared_examples: Type.Integer(),
});

export const ModelVersionSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    version: Type.Integer(),
    run_id: Type.Union([Type.Integer(), Type.Null()]),
    model_type: Type.String(),
    path: Type.String(),
    labels: Type.Array(Type.String()),
    metrics: Type.Union([Type.Record(Type.String(), Json), Type.Null()]),
    threshold: Type.Number({ description: 'fallback confidence threshold chosen on validation data' }),
    description: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String(),
    aliases: Type.Array(Type.String()),
  },
  { $id: 'ModelVersion', title: 'ModelVersion' },
);

export const Delta = Type.Object({
  baseline: Type.Union([Type.Number(), Type.Null()]),
  candidate: Type.Union([Type.Number(), Type.Null()]),
  delta: Type.Union([Type.Number(), Type.Null()]),
});

/** The compared runs: the fields a comparison table shows. */
const ComparedRun = Type.Pick(RunSchema, [
  'id',
  'name',
  'model_type',
  'status',
  'dataset_id',
  'metrics',
  'model_version',
]);

export const ComparisonSchema = Type.Object({
  runs: Type.Array(ComparedRun),
  comparisons: Type.Array(
    Type.Object({
      baseline: Type.Integer(),
      candidate: Type.Integer(),
      metric_deltas: Type.Record(Type.String(), Delta),
      intent_f1_deltas: Type.Array(Type.Intersect([Type.Object({ intent: Type.String() }), Delta])),
      mcnemar: Type.Union([McNemarSchema, Type.Null()]),
      verdict: Type.String(),
    }),
  ),
});

const Top = Type.Array(Type.Object({ intent: Type.String(), confidence: Type.Number() }));

/** A line of errors.jsonl: a misclassified test example; `label` is the true intent. */
export const MisclassifiedExampleSchema = Type.Object({
  id: Type.Optional(Type.Integer()),
  text: Type.String(),
  label: Type.String({ description: 'the true intent' }),
  predicted: Type.String(),
  confidence: Type.Number(),
  top: Top,
});

/** intent_report.json per intent (Rasa's layout, hence `f1-score`). */
export const IntentScoresSchema = Type.Object(
  {
    precision: Type.Number(),
    recall: Type.Number(),
    'f1-score': Type.Number(),
    support: Type.Integer(),
    confused_with: Type.Optional(Type.Record(Type.String(), Type.Integer())),
  },
  { additionalProperties: true },
);

const ReliabilityBin = Type.Object(
  { confidence: Type.Number(), accuracy: Type.Number(), count: Type.Integer() },
  { additionalProperties: true },
);

export const EvaluationSchema = Type.Object({
  run_id: Type.Integer(),
  intents: Type.Optional(
    Type.Record(Type.String(), IntentScoresSchema, { description: 'intent_report.json without the averages' }),
  ),
  confusion: Type.Optional(
    Type.Object({ labels: Type.Array(Type.String()), matrix: Type.Array(Type.Array(Type.Number())) }),
  ),
  calibration: Type.Optional(
    Type.Object(
      {
        ece: Type.Number(),
        temperature: Type.Optional(Type.Number()),
        bins: Type.Array(ReliabilityBin),
        before: Type.Optional(Type.Object({ ece: Type.Optional(Type.Number()), bins: Type.Array(ReliabilityBin) })),
      },
      { additionalProperties: true, description: 'ECE, MCE and reliability bins' },
    ),
  ),
  threshold_curve: Type.Optional(
    Type.Unsafe<TradeoffCurve>(
      Type.Object(
        {
          source: Type.String(),
          objective: Type.String(),
          x_axis: Type.Union([Type.Literal('oos_recall'), Type.Literal('fallback_rate')]),
          chosen: Type.Record(Type.String(), Type.Unknown()),
          points: Type.Array(Type.Record(Type.String(), Type.Unknown())),
        },
        {
          description:
            'in-scope accuracy vs out-of-scope recall (or fallback rate) across thresholds on clean validation predictions, with the chosen threshold',
        },
      ),
    ),
  ),
  confidence_histogram: Type.Optional(
    Type.Object({
      edges: Type.Array(Type.Number()),
      correct: Type.Array(Type.Integer()),
      incorrect: Type.Array(Type.Integer()),
    }),
  ),
  errors: Type.Optional(Type.Array(MisclassifiedExampleSchema, { description: 'most confident first, at most 500' })),
  errors_total: Type.Optional(Type.Integer()),
});

export type ModelVersion = Static<typeof ModelVersionSchema>;
export type RunComparison = Static<typeof ComparisonSchema>;
export type PairComparison = RunComparison['comparisons'][number];
export type MetricDelta = Static<typeof Delta>;
export type MisclassifiedExample = Static<typeof MisclassifiedExampleSchema>;
export type IntentScores = Static<typeof IntentScoresSchema>;
export type RunEvaluation = Static<typeof EvaluationSchema>;
export type ComparedRun = Static<typeof ComparedRun>;
