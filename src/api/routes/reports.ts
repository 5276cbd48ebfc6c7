import { Type, type Static } from '@sinclair/typebox';
import { GRANULARITIES, parseFilters } from '../../analytics/index.js';
import { datasetReportPdf } from '../../reports/dataset-report.js';
import { runReportPdf } from '../../reports/run-report.js';
import type { LabApp } from '../app.js';
import { errorResponses } from '../schemas.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const ReportQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ description: 'ISO-8601 date/time or epoch ms' })),
    to: Type.Optional(Type.String({ description: 'ISO-8601 date/time or epoch ms' })),
    speaker: Type.Optional(Type.String({ description: 'USER or SYSTEM' })),
    intent: Type.Optional(Type.String()),
    granularity: Type.Optional(Type.Union(GRANULARITIES.map((g) => Type.Literal(g)))),
  },
  { additionalProperties: false },
);
const Pdf = Type.Unknown({ description: 'the PDF document (application/pdf)' });

export default async function reportsRoutes(app: LabApp): Promise<void> {
  app.get(
    '/reports/datasets/:id.pdf',
    {
      schema: {
        tags: ['reports'],
        summary: 'PDF report of a dataset: filters, summary, charts, per-intent tables',
        params: IdParams,
        querystring: ReportQuery,
        response: { 200: Pdf, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof IdParams>;
      const filters = parseFilters({ ...(request.query as Static<typeof ReportQuery>), dataset: id });
      const pdf = await datasetReportPdf(app.lab, filters);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="dataset-${id}-report.pdf"`)
        .send(pdf);
    },
  );

  app.get(
    '/reports/runs/:id.pdf',
    {
      schema: {
        tags: ['reports'],
        summary: 'PDF report of a training run: metrics, per-intent scores, confusion matrix',
        params: IdParams,
        response: { 200: Pdf, ...errorResponses(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof IdParams>;
      const pdf = await runReportPdf(app.lab, id);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="run-${id}-report.pdf"`)
        .send(pdf);
    },
  );
}
