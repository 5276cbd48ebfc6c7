import { Type, type Static } from '@sinclair/typebox';
import { ANALYTICS_KINDS, GRANULARITIES, parseFilters, parseOptions, runAnalytics } from '../../analytics/index.js';
import { enqueueLabelling, getLabelJob } from '../../analytics/label-job.js';
import { toCsv } from '../../reports/csv.js';
import { pickTable } from '../../reports/tables.js';
import type { LabApp } from '../app.js';
import { errorResponses } from '../schemas.js';
import { AnalyticsResultSchemas } from '../contracts/analytics.js';

const AnalyticsQuery = Type.Object(
  {
    dataset: Type.Optional(Type.Integer({ minimum: 1, description: 'dataset id (every dataset when absent)' })),
    from: Type.Optional(Type.String({ description: 'ISO-8601 date/time or epoch ms; turns at or after' })),
    to: Type.Optional(Type.String({ description: 'ISO-8601 date/time or epoch ms; turns before' })),
    speaker: Type.Optional(Type.String({ description: 'USER or SYSTEM (intents, flows, fallback default to USER)' })),
    intent: Type.Optional(Type.String({ description: 'effective intent (given label, else predicted)' })),
    granularity: Type.Optional(
      Type.Union(
        GRANULARITIES.map((g) => Type.Literal(g)),
        { default: 'day' },
      ),
    ),
    top: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'intents/flows: top N before "(other)"' }),
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'fallback/sentiment: examples listed' }),
    ),
    threshold: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'fallback: confidence threshold (0.5)' }),
    ),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
    table: Type.Optional(Type.String({ description: 'csv: which table of the answer (default: the first)' })),
  },
  { additionalProperties: false },
);
type AnalyticsQuery = Static<typeof AnalyticsQuery>;

const LabelJob = Type.Object(
  {
    job_id: Type.Integer(),
    status: Type.Union(['queued', 'running', 'succeeded', 'failed', 'cancelled'].map((s) => Type.Literal(s))),
    dataset: Type.Integer(),
    progress: Type.Union([Type.Object({ done: Type.Integer(), total: Type.Integer() }), Type.Null()], {
      description: 'user turns handled of those to handle; null until a worker starts the job',
    }),
    result: Type.Union(
      [
        Type.Object({
          dataset: Type.Integer(),
          model_version: Type.Unknown(),
          threshold: Type.Number(),
          labelled: Type.Integer(),
          below_threshold: Type.Integer(),
          sentiment_filled: Type.Integer(),
          predicted_total: Type.Integer(),
        }),
        Type.Null(),
      ],
      { description: 'when succeeded: what was labelled' },
    ),
    error: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String(),
    updated_at: Type.String(),
    status_url: Type.String(),
  },
  { title: 'LabelJob' },
);
const withStatusUrl = <T extends { job_id: number }>(job: T) => ({
  ...job,
  status_url: `/analytics/label/${job.job_id}`,
});

const summaries: Record<(typeof ANALYTICS_KINDS)[number], string> = {
  overview: 'Conversations, turns, intents, turns per conversation, durations',
  intents: 'Intent distribution (top N + other) and its time series',
  flows: 'Transitions between consecutive user intents: Sankey nodes/links, entries, exits, top paths',
  fallback: 'Share of user turns under the confidence threshold or with a fallback label',
  sessions: 'Conversation length histogram and conversations per period',
  sentiment: 'VADER sentiment per period and per intent, most negative conversations',
};

const LabelBody = Type.Object(
  {
    dataset: Type.Integer({ minimum: 1 }),
    model: Type.Optional(
      Type.String({ minLength: 1, description: 'model alias or version (registry default when absent)' }),
    ),
    relabel: Type.Optional(
      Type.Boolean({ default: false, description: 're-predict turns that already have a prediction' }),
    ),
    batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
  },
  { additionalProperties: false },
);

export default async function analyticsRoutes(app: LabApp): Promise<void> {
  for (const kind of ANALYTICS_KINDS) {
    app.get(
      `/analytics/${kind}`,
      {
        schema: {
          tags: ['analytics'],
          summary: summaries[kind],
          description: 'JSON by default; `format=csv` downloads one table of the answer as RFC 4180 CSV.',
          querystring: AnalyticsQuery,
          response: {
            200: {
              description: 'the answer as JSON, or one of its tables as CSV with `format=csv`',
              content: {
                'application/json': { schema: AnalyticsResultSchemas[kind] },
                'text/csv': { schema: Type.String({ description: 'RFC 4180, a header row first' }) },
              },
            },
            ...errorResponses(400, 404),
          },
        },
      },
      async (request, reply) => {
        const q = request.query as AnalyticsQuery;
        const filters = parseFilters(q);
        const options = parseOptions(q);
        const result = await runAnalytics(app.lab, kind, filters, options);
        if (q.format !== 'csv') return result;
        const table = pickTable(kind, result, q.table);
        const name = `${kind}-${table.name}${filters.datasetId ? `-dataset-${filters.datasetId}` : ''}.csv`;
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}"`)
          .send(toCsv(table.rows));
      },
    );
  }

  app.post(
    '/analytics/label',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Queue labelling of the user turns of a dataset with a registered classifier',
        description:
          'Stores predicted intent and confidence per user turn (the given label stays), fills missing sentiment. ' +
          'Answers 202 at once with a job (kind `label`); follow its progress and result at `status_url`. ' +
          'An unknown dataset or model is a 404 before anything is queued.',
        body: LabelBody,
        response: { 202: LabelJob, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const body = request.body as Static<typeof LabelBody>;
      const job = await enqueueLabelling(app.lab, {
        datasetId: body.dataset,
        model: body.model,
        relabel: body.relabel,
        batchSize: body.batch_size,
      });
      return reply.status(202).send(withStatusUrl(job));
    },
  );

  app.get(
    '/analytics/label/:job',
    {
      schema: {
        tags: ['analytics'],
        summary: 'A labelling job: status, progress ({done, total} user turns) and, when finished, its result',
        params: Type.Object({ job: Type.Integer({ minimum: 1 }) }),
        response: { 200: LabelJob, ...errorResponses(400, 404) },
      },
    },
    async (request) => withStatusUrl(await getLabelJob(app.lab, request.params.job)),
  );
}
