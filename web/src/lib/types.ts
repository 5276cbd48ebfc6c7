/** Loose views of the API's records: only the fields the dashboard shows. */

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

export interface Run {
  id: number;
  name?: string;
  experiment_id?: number;
  parent_run_id?: number | null;
  dataset_id: number | null;
  model_type: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  tags?: string[] | Record<string, string> | string;
  params?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  summary_metrics?: Record<string, unknown> | string | null;
  error?: string | null;
  started_at?: string | null;
  ended_at?: string | null;
  duration_ms?: number | null;
  created_at?: string;
}

export interface ModelVersion {
  id: number;
  name: string;
  version: number;
  run_id: number | null;
  model_type: string;
  metrics?: Record<string, unknown> | string | null;
  aliases?: string[];
  labels?: string[] | string;
  created_at: string;
}

export { MODEL_TYPES } from './model-types';
