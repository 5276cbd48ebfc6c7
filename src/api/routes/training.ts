import { Type, type Static } from '@sinclair/typebox';
import { ValidationError } from '../../core/errors.js';
import { getRun, getRunDetail, listRuns, parseRunId, TERMINAL_STATUSES } from '../../experiments/runs.js';
import { subscribe, recentEvents, type RunEvent } from '../../training/events.js';
import { requestCancel, resolveDataset } from '../../training/pipeline.js';
import { checkTexts, getPredictor, type Prediction, type Predictor } from '../../training/predict.js';
import type { PredictionLog } from '../../monitoring/model/prediction-log.js';
import { failInterruptedRuns, jobWorker, startCrossval, startSearch, startTraining } from '../../training/service.js';
import { parseCursor } from '../../db/pagination.js';
import type { LabApp } from '../app.js';
import { errorResponses, ModelTypeSchema } from '../schemas.js';
import { tailRunEvents } from '../../workers/event-store.js';

const Json = Type.Unknown();
const Status = Type.Union(['queued', 'running', 'succeeded', 'failed', 'cancelled'].map((s) => Type.Literal(s)));

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

const RunDetailSchema = Type.Intersect([
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

const Queued = Type.Object({
  run_id: Type.Integer(),
  job_id: Type.Integer(),
  status: Type.Literal('queued'),
  events_url: Type.String(),
});

/** The dataset a training request resolved to (dataset_type picks the newest of that type). */
const TrainedOn = Type.Object({
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

const TrainBody = Type.Object(
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

const SearchBody = Type.Object(
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
    async_run: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

const CrossvalBody = Type.Object(
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

const PredictBody = Type.Object(
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

const PredictionSchema = Type.Object({
  text: Type.String(),
  intent: Type.String(),
  confidence: Type.Number(),
  fallback: Type.Boolean({ description: 'confidence below the model threshold: answer with a fallback' }),
  top: Type.Array(Type.Object({ intent: Type.String(), confidence: Type.Number() })),
});

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** Hands answered predictions to the prediction log (an append to its buffer; no I/O here). */
function logPredictions(
  log: PredictionLog,
  predictor: Predictor,
  texts: string[],
  predictions: Prediction[],
  latencyMs: number,
  body: Static<typeof PredictBody>,
): void {
  if (!log.enabled) return;
  const ts = Date.now();
  predictions.forEach((p, i) =>
    log.record({
      ts,
      modelName: predictor.modelName,
      modelVersion: predictor.modelVersion,
      text: texts[i]!,
      intent: p.intent,
      confidence: p.confidence,
      fallback: p.fallback,
      top: p.top,
      latencyMs,
      conversationId: body.conversation_id,
      sessionId: body.session_id,
      userRef: body.user_ref,
      metadata: body.metadata,
    }),
  );
}

function queuedReply(q: { run_id: number; job_id: number; status: 'queued' }) {
  return { ...q, events_url: `/training/runs/${q.run_id}/events` };
}

export default async function trainingRoutes(app: LabApp): Promise<void> {
  app.addSchema(RunSchema);

  // The API process drains the job queue (async runs) unless API_RUN_WORKER=false leaves that to
  // `chatlab worker` processes; stopped with the server.
  app.addHook('onReady', async () => {
    const failed = await failInterruptedRuns(app.lab);
    if (failed > 0) app.log.warn({ runs: failed }, 'marked runs interrupted by a previous stop as failed');
  });
  if (app.lab.settings.apiRunWorker ?? true) {
    const worker = jobWorker(app.lab, { logger: app.log });
    app.addHook('onReady', async () => worker.start());
    app.addHook('onClose', async () => worker.stop());
  }

  app.post(
    '/training/run',
    {
      schema: {
        tags: ['training'],
        summary: 'Train an intent classifier (synchronous by default; async_run: true answers 202 with the run id)',
        body: TrainBody,
        response: {
          200: Type.Intersect([Type.Ref('Run'), TrainedOn]),
          202: Type.Intersect([Queued, TrainedOn]),
          ...errorResponses(400, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const found = await resolveDataset(app.lab, { datasetId: b.dataset_id, datasetType: b.dataset_type });
      const dataset = { id: found.id, name: found.name, version: found.version, type: found.type };
      const req = {
        datasetId: found.id,
        modelType: b.model_type ?? app.lab.settings.defaultModelType,
        overrides: b.training_overrides,
        seed: b.seed,
        validationFraction: b.validation_fraction,
        experiment: b.experiment,
        name: b.name,
        tags: b.tags,
        alias: b.alias,
        oosLabel: b.oos_label,
        oosObjective: b.oos_objective,
      };
      if (b.async_run)
        return reply.status(202).send({ ...queuedReply(await startTraining(app.lab, req, true)), dataset });
      return { ...(await startTraining(app.lab, req, false)), dataset };
    },
  );

  app.get(
    '/training/runs',
    {
      schema: {
        tags: ['training'],
        summary: 'List runs, newest first, filtered on the server and paged with a cursor',
        querystring: Type.Object({
          status: Type.Optional(Status),
          experiment: Type.Optional(Type.String()),
          parent_run_id: Type.Optional(Type.Integer({ minimum: 1 })),
          dataset_id: Type.Optional(Type.Integer({ minimum: 1 })),
          model_type: Type.Optional(Type.String({ minLength: 1 })),
          tag: Type.Optional(Type.String({ minLength: 1, description: '`key` (the run has the tag) or `key=value`' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          cursor: Type.Optional(Type.String({ description: 'next_cursor of the previous page' })),
        }),
        response: {
          200: Type.Object({
            runs: Type.Array(Type.Ref('Run')),
            next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
          }),
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? 50;
      const runs = await listRuns(app.lab, {
        status: q.status as never,
        experiment: q.experiment,
        parentRunId: q.parent_run_id,
        datasetId: q.dataset_id,
        modelType: q.model_type,
        tag: q.tag,
        limit,
        offset: q.offset,
        before: parseCursor(q.cursor),
      });
      return { runs, next_cursor: runs.length === limit ? String(runs[runs.length - 1]!.id) : null };
    },
  );

  app.get(
    '/training/runs/:id',
    {
      schema: {
        tags: ['training'],
        summary: 'A run with its parameters, metric history and artifacts',
        params: IdParams,
        response: { 200: RunDetailSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => getRunDetail(app.lab, request.params.id),
  );

  app.get(
    '/training/runs/:id/events',
    {
      schema: {
        tags: ['training'],
        summary:
          'Server-Sent Events of a run: status, phase, epoch (loss, validation accuracy, ETA); ends when the run ends',
        params: IdParams,
        produces: ['text/event-stream'],
        response: { 200: Type.String({ description: 'text/event-stream' }), ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const runId = request.params.id;
      const run = await getRun(app.lab, runId);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let open = true;
      const send = (event: RunEvent | { type: 'status'; run_id: number; status: string; error?: string | null }) => {
        if (open) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      };
      const isEnd = (e: RunEvent) => e.type === 'status' && (TERMINAL_STATUSES as string[]).includes(e.status);
      const cleanups: Array<() => void> = [];
      const end = () => {
        if (!open) return;
        open = false;
        for (const c of cleanups) c();
        res.end();
      };
      send({ type: 'status', run_id: runId, status: run.status, error: run.error });
      // Replay what this process saw of the run so far (a client connecting late, or after a
      // short run already ended, still sees its phases and epochs).
      for (const e of recentEvents(runId)) if (e.type !== 'status') send(e);
      if ((TERMINAL_STATUSES as string[]).includes(run.status)) {
        send({ type: 'status', run_id: runId, status: run.status, error: run.error });
        return end();
      }
      cleanups.push(
        subscribe(runId, (e) => {
          send(e);
          if (isEnd(e)) end();
        }),
      );
      // Events of a run executed by another process (a `chatlab worker`, another API instance)
      // come from the run_events table; this process's own events arrive through subscribe.
      cleanups.push(
        tailRunEvents(app.lab, runId, (e) => {
          send(e);
          if (isEnd(e)) end();
        }),
      );
      // A run executed by another process publishes nothing here: watch its status instead.
      const poll = setInterval(() => {
        void getRun(app.lab, runId)
          .then((r) => {
            if ((TERMINAL_STATUSES as string[]).includes(r.status)) {
              send({ type: 'status', run_id: runId, status: r.status, error: r.error });
              end();
            } else if (open) res.write(': keep-alive\n\n');
          })
          .catch(() => end());
      }, 2000);
      cleanups.push(() => clearInterval(poll));
      request.raw.on('close', end);
    },
  );

  app.post(
    '/training/runs/:id/cancel',
    {
      schema: {
        tags: ['training'],
        summary: 'Cancel a queued or running run (409 when it already ended)',
        params: IdParams,
        response: { 200: Type.Ref('Run'), ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => requestCancel(app.lab, parseRunId(request.params.id)),
  );

  app.post(
    '/training/hyperparameter-search',
    {
      schema: {
        tags: ['training'],
        summary:
          'Grid or random search: a parent run with one child run per trial, scored on validation data; leaderboard and best parameters',
        body: SearchBody,
        response: { 200: Type.Ref('Run'), 202: Queued, ...errorResponses(400, 404, 429) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const req = {
        datasetId: b.dataset_id ?? b.dataset,
        datasetType: b.dataset_type,
        modelType: b.model_type,
        space: b.space as never,
        strategy: b.strategy,
        trials: b.trials,
        folds: b.folds,
        metric: b.metric,
        seed: b.seed,
        experiment: b.experiment,
      };
      const result = await startSearch(app.lab, req, b.async_run ?? false);
      return 'job_id' in result ? reply.status(202).send(queuedReply(result)) : result;
    },
  );

  app.post(
    '/training/crossval',
    {
      schema: {
        tags: ['training'],
        summary:
          'k-fold stratified cross-validation (mean ± std); likely label errors go to the dataset validation report',
        body: CrossvalBody,
        response: { 200: Type.Ref('Run'), 202: Queued, ...errorResponses(400, 404, 429) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const result = await startCrossval(
        app.lab,
        {
          datasetId: b.dataset_id,
          datasetType: b.dataset_type,
          modelType: b.model_type,
          overrides: b.training_overrides,
          folds: b.folds,
          seed: b.seed,
          experiment: b.experiment,
        },
        b.async_run ?? false,
      );
      return 'job_id' in result ? reply.status(202).send(queuedReply(result)) : result;
    },
  );

  app.post(
    '/intents/predict',
    {
      schema: {
        tags: ['prediction'],
        summary: 'Predict intents with a registered model (default alias production)',
        body: PredictBody,
        response: {
          200: Type.Object({
            model: Type.Object({
              name: Type.String(),
              version: Type.Integer(),
              model_type: Type.String(),
              threshold: Type.Number(),
            }),
            predictions: Type.Array(PredictionSchema),
          }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      const b = request.body;
      const texts = b.texts ?? (b.text !== undefined ? [b.text] : undefined);
      if (texts === undefined || (b.text !== undefined && b.texts !== undefined)) {
        throw new ValidationError('give either "text" or "texts"', [
          { field: 'body.text', problem: 'exactly one of text or texts is required' },
        ]);
      }
      if (b.text !== undefined && b.text.trim() === '') {
        throw new ValidationError('text is empty: give the text to classify', [
          { field: 'body.text', problem: 'must be a non-empty string' },
        ]);
      }
      checkTexts(texts, 'body.texts');
      const started = performance.now();
      const predictor = await getPredictor(app.lab, b.model);
      const predictions = await predictor.predict(texts, b.top_k ?? 3);
      logPredictions(app.monitoring.predictions, predictor, texts, predictions, performance.now() - started, b);
      return {
        model: {
          name: predictor.modelName,
          version: predictor.modelVersion,
          model_type: predictor.modelType,
          threshold: predictor.threshold,
        },
        predictions: predictions.map((p, i) => ({ text: texts[i]!, ...p })),
      };
    },
  );
}

export type TrainBodyType = Static<typeof TrainBody>;
