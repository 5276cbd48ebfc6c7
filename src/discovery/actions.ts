/**
 * What a team does with a discovered cluster. Accepting it as a new intent, or merging it into an
 * existing one, records a review decision for each of its turns (source `discovery`, the cluster
 * id), in one transaction with the cluster's new status; the turns themselves are never changed.
 * Dismissing records nothing but the cluster's status. A cluster is decided once.
 */
import type { LabContext } from '../lab/context.js';
import { ConflictError, ValidationError } from '../core/errors.js';
import { knownIntents } from './pool.js';
import { getCluster, type ClusterView } from './repository.js';

/** Intent names as classifiers and dataset files carry them: a letter or digit first, then `_ . : -`. */
const INTENT_NAME = /^[\p{L}\p{N}][\p{L}\p{N}_.:-]{0,99}$/u;

export function checkIntentName(value: unknown, field: string): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (!INTENT_NAME.test(name)) {
    throw new ValidationError(
      `${field} must be 1-100 letters, digits, "_", ".", ":" or "-", starting with a letter or digit (got ${JSON.stringify(value ?? null)})`,
      [{ field, problem: 'is not a valid intent name' }],
    );
  }
  return name;
}

async function openCluster(lab: LabContext, id: number): Promise<ClusterView> {
  const cluster = await getCluster(lab, id);
  if (cluster.status !== 'open') {
    throw new ConflictError(
      `cluster ${id} was already ${cluster.status}${cluster.intent ? ` (${cluster.intent})` : ''} by ${cluster.decided_by ?? '?'}`,
      [{ field: 'params.id', problem: `is ${cluster.status}` }],
    );
  }
  return cluster;
}

async function decide(
  lab: LabContext,
  cluster: ClusterView,
  status: 'accepted' | 'merged' | 'dismissed',
  intent: string | null,
  reviewer: string,
): Promise<ClusterView> {
  const now = new Date().toISOString();
  await lab.db.kysely.transaction().execute(async (trx) => {
    // Guarded by status: of two concurrent decisions on one cluster, only one applies.
    const updated = await trx
      .updateTable('discovery_clusters')
      .set({ status, intent, decided_by: reviewer, decided_at: now })
      .where('id', '=', cluster.id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) {
      throw new ConflictError(`cluster ${cluster.id} was decided meanwhile`, [
        { field: 'params.id', problem: 'is no longer open' },
      ]);
    }
    if (status === 'dismissed') return;
    const members = await trx
      .selectFrom('discovery_members as m')
      .innerJoin('turns as t', 't.id', 'm.turn_id')
      .select(['t.id as turn_id', 't.predicted_intent as predicted_intent'])
      .where('m.cluster_id', '=', cluster.id)
      .orderBy('t.id')
      .execute();
    const decision = status === 'accepted' ? ('new_intent' as const) : ('correct' as const);
    for (let i = 0; i < members.length; i += 200) {
      await trx
        .insertInto('review_decisions')
        .values(
          members.slice(i, i + 200).map((m) => ({
            dataset_id: cluster.dataset_id,
            turn_id: m.turn_id,
            decision,
            intent,
            predicted_intent: m.predicted_intent,
            reviewer,
            source: 'discovery',
            cluster_id: cluster.id,
            created_at: now,
          })),
        )
        .execute();
    }
  });
  return getCluster(lab, cluster.id);
}

/** Accepts the cluster as a new intent: each of its turns gets a `new_intent` decision. */
export async function acceptCluster(
  lab: LabContext,
  id: number,
  intentName: unknown,
  reviewer: string,
): Promise<ClusterView> {
  const intent = checkIntentName(intentName, 'intent');
  const cluster = await openCluster(lab, id);
  if ((await knownIntents(lab, cluster.dataset_id)).has(intent)) {
    throw new ConflictError(`${intent} is already an intent of this log: merge the cluster into it instead`, [
      { field: 'intent', problem: 'is an existing intent (use merge)' },
    ]);
  }
  return decide(lab, cluster, 'accepted', intent, reviewer);
}

/** Merges the cluster into an existing intent: each of its turns gets a `correct` decision. */
export async function mergeCluster(lab: LabContext, id: number, into: unknown, reviewer: string): Promise<ClusterView> {
  const intent = checkIntentName(into, 'into');
  const cluster = await openCluster(lab, id);
  const known = await knownIntents(lab, cluster.dataset_id);
  if (!known.has(intent)) {
    const suggestions = cluster.nearest_intents.map((n) => n.intent).join(', ');
    throw new ValidationError(
      `${intent} is not an intent of this log${suggestions ? `; nearest intents: ${suggestions}` : ''} (accept the cluster to create a new intent)`,
      [{ field: 'into', problem: 'is not an existing intent' }],
    );
  }
  return decide(lab, cluster, 'merged', intent, reviewer);
}

/** Dismisses the cluster: no decision is recorded for its turns. */
export async function dismissCluster(lab: LabContext, id: number, reviewer: string): Promise<ClusterView> {
  return decide(lab, await openCluster(lab, id), 'dismissed', null, reviewer);
}
