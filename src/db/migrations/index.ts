import type { Migration } from 'kysely';
import type { Dialect } from '../connection.js';
import { initialMigration } from './0001_initial.js';
import { reviewDecisionsMigration } from './0002_review_decisions.js';
import { modelMonitoringMigration } from './0006_model_monitoring.js';

/**
 * Every migration, in order. Names sort lexically; add new ones at the end as
 * `NNNN_what_it_does`. A static list (not a folder scan) works the same from `src/` and `dist/`.
 */
export function allMigrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': initialMigration(dialect),
    '0002_review_decisions': reviewDecisionsMigration(dialect),
    '0006_model_monitoring': modelMonitoringMigration(dialect),
  };
}
