import { Type } from '@sinclair/typebox';
import { startCrossval } from '../../training/service.js';
import type { LabApp } from '../app.js';
import { CrossvalBody, Queued } from '../contracts/training.js';
import { errorResponses } from '../schemas.js';
import { queuedReply } from './run-events.js';

/** k-fold cross-validation. */
export default async function crossvalRoutes(app: LabApp): Promise<void> {
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
}
