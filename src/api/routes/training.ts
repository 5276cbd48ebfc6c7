import { Type } from '@sinclair/typebox';
import { resolveDataset } from '../../training/pipeline.js';
import { failInterruptedRuns, jobWorker, startTraining } from '../../training/service.js';
import type { LabApp } from '../app.js';
import { Queued, TrainBody, TrainedOn } from '../contracts/training.js';
import { errorResponses } from '../schemas.js';
import { queuedReply } from './run-events.js';

export default async function trainingRoutes(app: LabApp): Promise<void> {
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
}
