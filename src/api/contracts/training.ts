import { Type, type Static } from '@sinclair/typebox';
import { ModelTypeSchema } from '../schemas.js';

/**
 * The training API's request and response shapes, declared once: the routes validate and document
 * with them (/docs), and the dashboard imports the derived types.
 */

const Json = Type.Unknown();
export const Status = Type.Union([
  Type.Literal('queued'),
  Type.Literal('running'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
]);

export const RunSchema = Type.Object(
  {
    id: Type.Integer(),
    experiment: Type.String(),
    experiment_id: Type.Integer(),
    parent_run_id: Type.Union([Type.Integer(), Type.Null()]),
    name: Type.String(),
    dataset_id: Type.Union([Type.Integer(), Type.Null()]),
    model_type: Type.String(),
    status: Status,
    params: Type.Record(Type.String(), Json),
    tags: Type.Record(Type.String(), Type.String()),
    metrics: Type.Union([Type.Record(Type.String(), Json), Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()]),
    run_dir: Type.Union([Type.String(), Type.Null()]),
    git_commit: Type.Union([Type.String(), Type.Null()]),
    started_at: Type.Union([Type.String(), Type.Null()]),
    ended_at: Type.Union([Type.String(), Type.Null()]),
    duration_ms: Type.Union([Type.Number(), Type.Null()]),
    created_at: Type.String(),
    model_version: Type.Union([Type.Integer(), Type.Null()], {
      description: 'registered model version, when the run produced one',
    }),
  },
  { $id: 'Run', title: 'Run' },
);

export const RunDetailSchema = Type.Intersect([
  Type.Ref('Run'),
  Type.Object({
    metric_history: Type.Array(
      Type.Object({ key: Type.String(), step: Type.Integer(), value: Type.Number(), ts: Type.Number() }),
    ),
    artifacts: Type.Array(
      Type.Object({ path: Type.String(), kind: Type.String(), size_bytes: Type.Integer(), sha256: Type.String() }),
    ),
    children: Type.Array(Type.Integer()),
  }),
]);

/** One page of `GET /training/runs`. */
export const RunListSchema = Type.Object({
  runs: Type.Array(Type.Ref('Run')),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
});

export const Queued = Type.Object({
  run_id: Type.Integer(),
  job_id: Type.Integer(),
  status: Type.Literal('queued'),
  events_url: Type.String(),
});

/** The dataset a training request resolved to (dataset_type picks the newest of that type). */
export const TrainedOn = Type.Object({
  dataset: Type.Object({ id: Type.Integer(), name: Type.String(), version: Type.Integer(), type: Type.String() }),
});

const DatasetChoice = {
  dataset_id: Type.Optional(
    Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1 })], { description: 'dataset id or name' }),
  ),
  dataset_type: Type.Optional(
    Type.String({ minLength: 1, description: 'use the newest dataset of this type, e.g. banking77' }),
  ),
};

export const TrainBody = Type.Object(
  {
    ...DatasetChoice,
    model_type: Type.Optional(
      ModelTypeSchema('omitted: DEFAULT_MODEL_TYPE (encoder-mlp, the pretrained sentence encoder with a trained head)'),
    ),
    training_overrides: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean()]), {
        description: 'hyper-parameters by name (num_epochs, learning_rate, ...); unknown names are a 400',
      }),
    ),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
    validation_fraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 0.5 })),
    experiment: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    tags: Type.Optional(Type.Record(Type.String(), Type.String())),
    alias: Type.Optional(Type.String({ description: 'point this alias (e.g. staging) at the new version on success' })),
    oos_label: Type.Optional(Type.String({ minLength: 1 })),
    oos_objective: Type.Optional(
      Type.String({
        description:
          'fallback threshold objective on validation: accuracy (default), balanced, or recall@<target> e.g. recall@0.6',
      }),
    ),
    async_run: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

const SpaceEntry = Type.Union([
  Type.Array(Type.Union([Type.Number(), Type.String(), Type.Boolean()]), { minItems: 1 }),
  Type.Object(
    { min: Type.Number(), max: Type.Number(), log: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
]);

export const SearchBody = Type.Object(
  {
    ...DatasetChoice,
    dataset: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1 })], { description: 'alias of dataset_id' }),
    ),
    model_type: ModelTypeSchema(),
    space: Type.Record(Type.String(), SpaceEntry),
    strategy: Type.Optional(Type.Union([Type.Literal('grid'), Type.Literal('random')])),
    trials: Type.Optional(
      Type.Integer({ minimum: 1, description: 'random: trials to run; grid: a cap. At most MAX_SEARCH_TRIALS' }),
    ),
    folds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 20, description: 'k-fold scoring; 0 scores on the validation split' }),
    ),
    metric: Type.Optional(Type.Union([Type.Literal('accuracy'), Type.Literal('macro_f1')])),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
    experiment: Type.Optional(Type.String({ minLength: 1 })),
    train_best: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'then train and register a model with the best parameters (metrics.best_model)',
      }),
    ),
    async_run: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export const CrossvalBody = Type.Object(
  {
    ...DatasetChoice,
    model_type: ModelTypeSchema(),
    training_overrides: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean()])),
    ),
    folds: Type.Optional(Type.Integer({ minimum: 2, maximum: 20 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
    experiment: Type.Optional(Type.String({ minLength: 1 })),
    async_run: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export const PredictBody = Type.Object(
  {
    text: Type.Optional(Type.String({ description: 'one text' })),
    texts: Type.Optional(Type.Array(Type.String(), { description: 'several texts, predicted in one batch' })),
    model: Type.Optional(Type.String({ description: 'alias, version number or name:version; default production' })),
    top_k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 3 })),
    conversation_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'prediction log: the conversation this text belongs to (turns are appended in order)',
      }),
    ),
    session_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'prediction log: the session; groups turns when no conversation_id is given',
      }),
    ),
    user_ref: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'prediction log: an opaque reference to the user' }),
    ),
    metadata: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'prediction log: free JSON stored with the logged turn (kept as given, also in hashed mode)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const PredictionSchema = Type.Object({
  text: Type.String(),
  intent: Type.String(),
  confidence: Type.Number(),
  fallback: Type.Boolean({ description: 'confidence below the model threshold: answer with a fallback' }),
  top: Type.Array(Type.Object({ intent: Type.String(), confidence: Type.Number() })),
});

/** `POST /intents/predict`: the model that answered and one prediction per text, in order. */
export const PredictResponseSchema = Type.Object({
  model: Type.Object({
    name: Type.String(),
    version: Type.Integer(),
    model_type: Type.String(),
    threshold: Type.Number(),
  }),
  predictions: Type.Array(PredictionSchema),
});

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export type TrainBodyType = Static<typeof TrainBody>;

export type Run = Static<typeof RunSchema>;
export type RunStatus = Run['status'];
/** Type.Ref does not carry its target's type: the detail is the run plus these. */
export type RunDetail = Run & Static<(typeof RunDetailSchema)['allOf'][1]>;
export type RunList = Omit<Static<typeof RunListSchema>, 'runs'> & { runs: Run[] };
export type QueuedRun = Static<typeof Queued>;
export type Prediction = Static<typeof PredictionSchema>;
export type PredictResponse = Static<typeof PredictResponseSchema>;
