import { Type } from '@sinclair/typebox';
import { getRunDetail, listRuns, parseRunId } from '../../experiments/runs.js';
import { requestCancel } from '../../training/pipeline.js';
import { parseCursor } from '../../db/pagination.js';
import type { LabApp } from '../app.js';
import { IdParams, RunDetailSchema, RunListSchema, Status } from '../contracts/training.js';
import { errorResponses } from '../schemas.js';

/** Runs: list, detail and cancel. */
export default async function runsRoutes(app: LabApp): Promise<void> {
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
        response: { 200: RunListSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? 50;
      const runs = await listRuns(app.lab, {
        status: q.status,
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
}
