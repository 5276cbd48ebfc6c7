import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Typed table definitions shared by both dialects. Portable choices:
 * - JSON documents are stored as text (`Json` columns hold JSON.stringify output);
 * - booleans are integers 0/1;
 * - event times used by analytics (`turns.ts`, metric times) are epoch milliseconds, so bucketing
 *   is arithmetic that both SQLite and PostgreSQL do fast; record times are ISO-8601 text.
 */
type Json = string;
type Id = Generated<number>;
type CreatedAt = ColumnType<string, string | undefined, never>;

export interface DatasetsTable {
  id: Id;
  name: string;
  type: string;
  source: string;
  checksum: string;
  /** Columns with a database default are optional on insert (Generated). */
  version: Generated<number>;
  preprocess: Generated<Json>;
  split_counts: Generated<Json>;
  label_count: Generated<number>;
  example_count: Generated<number>;
  conversation_count: Generated<number>;
  turn_count: Generated<number>;
  validation: Json | null;
  /** Dataset-level metadata from the import (e.g. Rasa synonyms/regexes/lookups), JSON; migration 0009. */
  metadata: Json | null;
  /** `ingesting` while a chunked ingestion writes it (readers ignore it), then `ready`; migration 0013. */
  status: Generated<DatasetStatus>;
  /** The ingesting process (`host:pid:token`) and its last beat, for the start-up sweep. */
  ingest_owner: string | null;
  ingest_heartbeat_at: number | null;
  created_at: CreatedAt;
}

export type DatasetStatus = 'ingesting' | 'ready';

export interface ExamplesTable {
  id: Id;
  dataset_id: number;
  split: string;
  text: string;
  norm_text: string;
  label: string | null;
  metadata: Json | null;
}

export interface ConversationsTable {
  id: Id;
  dataset_id: number;
  external_id: string;
  split: string | null;
  turn_count: Generated<number>;
  started_at: number | null;
  ended_at: number | null;
  metadata: Json | null;
}

export interface TurnsTable {
  id: Id;
  conversation_id: number;
  /** Denormalised so analytics filter turns without a join. */
  dataset_id: number;
  idx: number;
  speaker: string;
  text: string;
  intent: string | null;
  predicted_intent: string | null;
  confidence: number | null;
  /** The prediction's top-3 as JSON text `[{"intent","confidence"}, …]` (null before labelling). */
  predicted_top: Json | null;
  sentiment: number | null;
  ts: number | null;
  metadata: Json | null;
}

export interface ExperimentsTable {
  id: Id;
  name: string;
  description: string | null;
  created_at: CreatedAt;
}

export interface RunsTable {
  id: Id;
  experiment_id: number;
  parent_run_id: number | null;
  name: string;
  dataset_id: number | null;
  model_type: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  tags: Json;
  summary_metrics: Json | null;
  error: string | null;
  run_dir: string | null;
  git_commit: string | null;
  started_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
  created_at: CreatedAt;
  /** The execution that holds the run: `host:pid:token` (src/training/ownership.ts). */
  owner: string | null;
  /** Epoch ms of the owner's last beat while the run is queued or running. */
  heartbeat_at: number | null;
}

export interface RunParamsTable {
  run_id: number;
  key: string;
  value: string;
}

export interface MetricHistoryTable {
  id: Id;
  run_id: number;
  key: string;
  step: number;
  value: number;
  ts: number;
}

export interface ArtifactsTable {
  id: Id;
  run_id: number;
  path: string;
  kind: string;
  size_bytes: number;
  sha256: string;
  created_at: CreatedAt;
}

export interface ModelVersionsTable {
  id: Id;
  name: string;
  version: number;
  run_id: number | null;
  model_type: string;
  path: string;
  labels: Json;
  metrics: Json | null;
  description: string | null;
  created_at: CreatedAt;
}

export interface ModelAliasesTable {
  alias: string;
  model_version_id: number;
  updated_at: string;
}

export interface JobsTable {
  id: Id;
  kind: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  payload: Json;
  progress: Json | null;
  result: Json | null;
  error: string | null;
  run_id: number | null;
  attempts: number;
  max_attempts: number;
  cancel_requested: number;
  locked_by: string | null;
  heartbeat_at: number | null;
  created_at: CreatedAt;
  updated_at: string;
}

/** A progress event of a run (status, phase, epoch), as published by the process executing it. */
export interface RunEventsTable {
  id: Id;
  run_id: number;
  /** The publishing process, so an API instance skips the events it already relays in memory. */
  source: string;
  type: string;
  data: Json;
  ts: number;
}

export interface AlertsTable {
  id: Id;
  rule: string;
  metric: string;
  state: 'firing' | 'resolved';
  value: number;
  threshold: number;
  message: string;
  started_at: string;
  resolved_at: string | null;
}

export interface ApiKeysTable {
  id: Id;
  name: string;
  role: 'viewer' | 'editor' | 'admin';
  prefix: string;
  key_hash: string;
  created_at: CreatedAt;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface RequestSamplesTable {
  id: Id;
  ts: number;
  route: string;
  requests: number;
  errors: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

/** One review decision on a logged user turn; the latest row per turn is the one that counts. */
export interface ReviewDecisionsTable {
  id: Id;
  /** The log dataset the turn belongs to (denormalised for per-log queries). */
  dataset_id: number;
  turn_id: number;
  decision: 'accept' | 'correct' | 'new_intent' | 'oos' | 'skip';
  /** The decided intent: the prediction for accept, the given intent for correct/new_intent, null for oos/skip. */
  intent: string | null;
  /** The turn's prediction when the decision was made (the turn may be relabelled later). */
  predicted_intent: string | null;
  /** API key name, or `cli`. */
  reviewer: string;
  /** `review` (a person in the queue) or `discovery` (a cluster accepted or merged). */
  source: string;
  cluster_id: number | null;
  created_at: CreatedAt;
}

/** One intent-discovery run over a log (an async job, or a CLI call). */
export interface DiscoveryRunsTable {
  id: Id;
  dataset_id: number;
  pool: 'fallback' | 'low-confidence' | 'unlabelled';
  /** Threshold, cluster sizes and the other choices the run made. */
  params: Json;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  /** `{phase, done, total}` while running. */
  progress: Json | null;
  pool_size: number | null;
  /** Pool turns that ended in a cluster (the rest is noise). */
  clustered: number | null;
  error: string | null;
  job_id: number | null;
  created_at: CreatedAt;
  finished_at: string | null;
}

/** A candidate intent found by a discovery run. */
export interface DiscoveryClustersTable {
  id: Id;
  run_id: number;
  dataset_id: number;
  size: number;
  name_suggestion: string;
  /** c-TF-IDF terms `[{term, weight}]`. */
  terms: Json;
  /** `[{intent, similarity}]`, most similar first. */
  nearest_intents: Json;
  /** `{granularity, points: [{period, turns, share}]}`. */
  trend: Json;
  status: Generated<'open' | 'accepted' | 'merged' | 'dismissed'>;
  /** The intent the cluster was accepted as or merged into. */
  intent: string | null;
  decided_by: string | null;
  decided_at: string | null;
}

export interface DiscoveryMembersTable {
  cluster_id: number;
  turn_id: number;
  /** Cosine similarity to the cluster's centroid. */
  similarity: number;
}

/** What a logged prediction's turn has no column for (see migration 0006). */
export interface PredictionLogTable {
  id: Id;
  turn_id: number;
  dataset_id: number;
  model_name: string;
  model_version: number;
  /** Epoch ms when the prediction was answered (same as the turn's `ts`). */
  ts: number;
  /** The model's own answer, kept even if the turn is relabelled later. */
  intent: string;
  confidence: number;
  fallback: number;
  /** JSON [{intent, confidence}] of the top-k the caller received. */
  top: Json;
  latency_ms: number;
  text_sha256: string;
  /** 0 in hashed mode: the turn's text is a placeholder, not the user's text. */
  text_stored: number;
  text_length: number;
  token_count: number;
  /** Tokens outside the version's training vocabulary; null when the version has no baseline. */
  oov_count: number | null;
  session_id: string | null;
  user_ref: string | null;
  /** The API instance that wrote the row (host:pid). */
  instance: string;
}

/** A registered version's reference profile for drift (JSON, see src/monitoring/model/baseline.ts). */
/** Write-time analytics rollups (migration 0010, src/analytics/rollups). */
export interface TurnRollupsDailyTable {
  dataset_id: number;
  /** UTC day start (epoch ms); null for turns without a timestamp. */
  bucket_day: number | null;
  speaker: string;
  /** Effective intent (given label, else predicted); null when neither. */
  intent: string | null;
  turns: number;
  predicted: number;
  scored: number;
  confidence_sum: number;
  below_default: number;
  sentiment_n: number;
  sentiment_sum: number;
  negative: number;
  positive: number;
  min_ts: number | null;
  max_ts: number | null;
}

export interface ConversationRollupsTable {
  conversation_id: number;
  dataset_id: number;
  turns: number;
  first_ts: number | null;
  last_ts: number | null;
  user_turns: number;
  user_first_ts: number | null;
  user_last_ts: number | null;
  user_predicted: number;
  system_turns: number;
  system_first_ts: number | null;
  system_last_ts: number | null;
  user_sentiment_n: number;
  user_sentiment_sum: number;
  user_sentiment_min: number | null;
  /** Collapsed path of the user turns' effective intents (' > '-joined); null when none. */
  path: string | null;
}

export interface ConversationIntentsTable {
  dataset_id: number;
  conversation_id: number;
  speaker: string;
  intent: string;
}

/** Flow rollups per dataset (migration 0011, src/analytics/rollups/flows.ts). */
export interface FlowNodesTable {
  dataset_id: number;
  intent: string;
  steps: number;
  entries: number;
  exits: number;
}

export interface FlowLinksTable {
  dataset_id: number;
  source: string;
  target: string;
  transitions: number;
}

/** Conversations per dataset x day of first turn x length (migration 0016, src/analytics/rollups/sessions.ts). */
export interface SessionRollupsTable {
  dataset_id: number;
  /** UTC day start (epoch ms) of the first turn; null for conversations without timestamps. */
  bucket_day: number | null;
  /** Conversation length in turns (every speaker). */
  turns: number;
  conversations: number;
  /** Sum of last - first turn time (ms) over the conversations with times. */
  duration_sum: number;
  with_time: number;
}

export interface FlowPathsTable {
  dataset_id: number;
  /** SHA-1 of `path` (hex): the unique key, as long paths cannot be indexed on PostgreSQL. */
  path_key: string;
  path: string;
  conversations: number;
}

export interface ModelBaselinesTable {
  model_version_id: number;
  model_name: string;
  model_version: number;
  profile: Json;
  created_at: CreatedAt;
}

export interface Database {
  datasets: DatasetsTable;
  examples: ExamplesTable;
  conversations: ConversationsTable;
  turns: TurnsTable;
  experiments: ExperimentsTable;
  runs: RunsTable;
  run_params: RunParamsTable;
  metric_history: MetricHistoryTable;
  artifacts: ArtifactsTable;
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  jobs: JobsTable;
  run_events: RunEventsTable;
  alerts: AlertsTable;
  api_keys: ApiKeysTable;
  request_samples: RequestSamplesTable;
  review_decisions: ReviewDecisionsTable;
  discovery_runs: DiscoveryRunsTable;
  discovery_clusters: DiscoveryClustersTable;
  discovery_members: DiscoveryMembersTable;
  prediction_log: PredictionLogTable;
  model_baselines: ModelBaselinesTable;
  turn_rollups_daily: TurnRollupsDailyTable;
  conversation_rollups: ConversationRollupsTable;
  conversation_intents: ConversationIntentsTable;
  flow_nodes: FlowNodesTable;
  flow_links: FlowLinksTable;
  flow_paths: FlowPathsTable;
  session_rollups: SessionRollupsTable;
}

export type Dataset = Selectable<DatasetsTable>;
export type NewDataset = Insertable<DatasetsTable>;
export type Example = Selectable<ExamplesTable>;
export type NewExample = Insertable<ExamplesTable>;
export type Conversation = Selectable<ConversationsTable>;
export type Turn = Selectable<TurnsTable>;
export type NewTurn = Insertable<TurnsTable>;
export type Run = Selectable<RunsTable>;
export type RunUpdate = Updateable<RunsTable>;
export type ModelVersion = Selectable<ModelVersionsTable>;
export type Job = Selectable<JobsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
