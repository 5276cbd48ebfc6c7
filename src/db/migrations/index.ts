import type { Migration } from 'kysely';
import type { Dialect } from '../connection.js';
import { initialMigration } from './0001_initial.js';
import { reviewDecisionsMigration } from './0002_review_decisions.js';
import { runOwnerMigration } from './0003_run_owner.js';
import { turnTopPredictionsMigration } from './0004_turn_top_predictions.js';
import { discoveryMigration } from './0005_discovery.js';
import { modelMonitoringMigration } from './0006_model_monitoring.js';
import { datasetMetadataMigration } from './0009_dataset_metadata.js';
import { analyticsRollupsMigration } from './0010_analytics_rollups.js';
import { flowRollupsMigration } from './0011_flow_rollups.js';
import { postgresAnalyticsIndexesMigration } from './0012_postgres_analytics_indexes.js';
import { datasetIngestStatusMigration } from './0013_dataset_ingest_status.js';
import { sentimentRankIndexMigration } from './0014_sentiment_rank_index.js';
import { analyticsReadIndexesMigration } from './0015_analytics_read_indexes.js';
import { sessionRollupsMigration } from './0016_session_rollups.js';
import { dailyRollupIntentIncludeMigration } from './0017_daily_rollup_intent_include.js';

/**
 * Every migration, in order. Names sort lexically; add new ones at the end as
 * `NNNN_what_it_does`. A static list (not a folder scan) works the same from `src/` and `dist/`.
 */
export function allMigrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': initialMigration(dialect),
    '0002_review_decisions': reviewDecisionsMigration(dialect),
    '0003_run_owner': runOwnerMigration(dialect),
    '0004_turn_top_predictions': turnTopPredictionsMigration(dialect),
    '0005_discovery': discoveryMigration(dialect),
    '0006_model_monitoring': modelMonitoringMigration(dialect),
    '0009_dataset_metadata': datasetMetadataMigration(dialect),
    '0010_analytics_rollups': analyticsRollupsMigration(dialect),
    '0011_flow_rollups': flowRollupsMigration(dialect),
    '0012_postgres_analytics_indexes': postgresAnalyticsIndexesMigration(dialect),
    '0013_dataset_ingest_status': datasetIngestStatusMigration(dialect),
    '0014_sentiment_rank_index': sentimentRankIndexMigration(dialect),
    '0015_analytics_read_indexes': analyticsReadIndexesMigration(dialect),
    '0016_session_rollups': sessionRollupsMigration(dialect),
    '0017_daily_rollup_intent_include': dailyRollupIntentIncludeMigration(dialect),
  };
}
