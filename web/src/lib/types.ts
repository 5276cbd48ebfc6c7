/** The API's records as the dashboard reads them. */

/** Shapes the API declares in src/api/contracts (type-only imports: no server code is bundled). */
export type {
  PredictResponse,
  QueuedRun,
  Run,
  RunDetail,
  RunList,
  RunStatus,
} from '../../../src/api/contracts/training.js';
export type { ModelVersion } from '../../../src/api/contracts/experiments.js';
export type { Dataset, DatasetList, ExamplePage, ExampleRow } from '../../../src/api/contracts/datasets.js';
export type { ModelTypeInfo, ModelTypeList } from '../../../src/api/contracts/model-types.js';
