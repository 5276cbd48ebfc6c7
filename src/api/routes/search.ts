import { Type } from '@sinclair/typebox';
import { startSearch } from '../../training/service.js';
import type { LabApp } from '../app.js';
import { Queued, SearchBody } from '../contracts/training.js';
import { errorResponses } from '../schemas.js';
import { queuedReply } from './run-events.js';

/** Hyperparameter search. */
export default async function searchRoutes(app: LabApp): Promise<void> {
  app.post(
    '/training/hyperparameter-search',
    {
      schema: {
        tags: ['training'],
        summary:
          'Grid or random search: a parent run with one child run (a queued job) per trial, scored on validation data; leaderboard and best parameters',
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
        trainBest: b.train_best,
      };
      const result = await startSearch(app.lab, req, b.async_run ?? false);
      return 'job_id' in result ? reply.status(202).send(queuedReply(result)) : result;
    },
  );
}
