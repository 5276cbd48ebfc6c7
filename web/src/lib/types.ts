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
export type {
  Dataset,
  DatasetList,
  DatasetSummary,
  ExamplePage,
  ExampleRow,
  Finding,
  UploadResult,
  ValidationReport,
} from '../../../src/api/contracts/datasets.js';
export type {
  AccuracyEstimate,
  DecisionInput,
  QueueItem,
  ReviewDecision,
  ReviewQueue,
  ReviewStats,
  Strategy,
} from '../../../src/api/contracts/review.js';
export type { DiscoveryCluster, DiscoveryRun, DiscoveryRunList, Pool } from '../../../src/api/contracts/discovery.js';
export type {
  DatasetDiff,
  DatasetVersion,
  DatasetVersionList,
  DeriveResult,
  PromoteCheck,
} from '../../../src/api/contracts/improve.js';
export type {
  Conversation,
  ConversationDetail,
  ConversationPage,
  FallbackResult,
  FlowsResult,
  IntentsResult,
  OverviewResult,
  SentimentResult,
  SessionsResult,
  Turn,
} from '../../../src/api/contracts/analytics.js';
export type {
  AlertHistory,
  Alerts,
  HistoryPoint,
  LoggedPrediction,
  ModelMonitoring,
  MovedIntent,
  PredictionLogPage,
  RequestHistory,
  RequestsSummary,
  RouteSummary,
  SignalStatus,
  SystemSnapshot,
} from '../../../src/api/contracts/monitoring.js';
export type { RunEvent } from '../../../src/api/contracts/run-events.js';
export type { ModelTypeInfo, ModelTypeList } from '../../../src/api/contracts/model-types.js';
