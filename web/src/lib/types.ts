/** The API's records as the dashboard reads them. */

export interface Dataset {
  id: number;
  name: string;
  type: string;
  source?: string;
  version: number;
  split_counts?: Record<string, number> | string;
  label_count: number;
  example_count: number;
  conversation_count: number;
  turn_count: number;
  created_at: string;
}

/** Shapes the API declares in src/api/contracts (type-only imports: no server code is bundled). */
export type { Run, RunDetail, RunStatus } from '../../../src/api/contracts/training';
export type { ModelVersion } from '../../../src/api/contracts/experiments';

export { MODEL_TYPES } from './model-types';
