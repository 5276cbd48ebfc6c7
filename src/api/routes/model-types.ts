import { describeModelTypes } from '../../nlp/registry.js';
import type { LabApp } from '../app.js';
import { ModelTypeListSchema } from '../contracts/model-types.js';

/** The model-type registry as the API shows it: what can be trained, with which parameters. */
export default async function modelTypesRoutes(app: LabApp): Promise<void> {
  app.get(
    '/model-types',
    {
      schema: {
        tags: ['training'],
        summary: 'Model types that can be trained, with their descriptions and hyper-parameters',
        response: { 200: ModelTypeListSchema },
      },
    },
    async () => ({
      items: describeModelTypes().map((t) => ({ type: t.type, description: t.description, params: t.paramSpec })),
    }),
  );
}
