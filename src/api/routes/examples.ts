import { Type } from '@sinclair/typebox';
import { exampleModel, exampleTrainRequest, ingestExamples } from '../../examples/workspace.js';
import { startTraining } from '../../training/service.js';
import type { LabApp } from '../app.js';
import { errorResponses } from '../schemas.js';

const Loaded = Type.Object({
  datasets: Type.Object({
    banking77: Type.Object({ id: Type.Integer(), name: Type.String() }),
    sgd: Type.Object({ id: Type.Integer(), name: Type.String() }),
    created: Type.Boolean({ description: 'false when both were already stored' }),
  }),
  model_version: Type.Union([Type.Integer(), Type.Null()], {
    description: 'the example model, when it is already trained',
  }),
  training: Type.Union([
    Type.Object({
      run_id: Type.Integer(),
      events_url: Type.String({ description: 'server-sent progress events of the training run' }),
    }),
    Type.Null(),
  ]),
});

/** The example workspace: one click (or `chatlab examples load`) to a populated lab. */
export default async function examplesRoutes(app: LabApp): Promise<void> {
  app.post(
    '/examples/load',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Load the example workspace: BANKING77 and 100 SGD conversations, and a tfidf-linear model',
        description:
          'Ingests the example datasets shipped with the lab (already stored content is reused) and, when no ' +
          'tfidf-linear model was trained on them yet, queues its training (202, progress at events_url; aliased ' +
          'production unless a production model exists). Loading again changes nothing (200).',
        response: { 200: Loaded, 202: Loaded, ...errorResponses(404, 429) },
      },
    },
    async (_request, reply) => {
      const lab = app.lab;
      const datasets = await ingestExamples(lab);
      const model = await exampleModel(lab, datasets.banking77.id);
      const summary = {
        banking77: { id: datasets.banking77.id, name: datasets.banking77.name },
        sgd: { id: datasets.sgd.id, name: datasets.sgd.name },
        created: datasets.created,
      };
      if (model.state === 'trained') return { datasets: summary, model_version: model.version, training: null };
      const runId =
        model.state === 'training'
          ? model.runId
          : (await startTraining(lab, await exampleTrainRequest(lab, datasets.banking77.id), true)).run_id;
      return reply.status(202).send({
        datasets: summary,
        model_version: null,
        training: { run_id: runId, events_url: `/training/runs/${runId}/events` },
      });
    },
  );
}
