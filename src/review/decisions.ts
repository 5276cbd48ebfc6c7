/**
 * Recording review decisions. A decision is a new row: the turn (its given label and its
 * prediction) is never changed, a re-review adds a row, and the latest row per turn counts.
 * Used by the CLI, the API and intent discovery (which records with source `discovery`).
 */
import type { LabContext } from '../lab/context.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import {
  DECISION_KINDS,
  decisionView,
  getLogDataset,
  latestDecisions,
  nearDuplicateKey,
  predictedTurns,
  type DecisionKind,
  type DecisionView,
  type ReviewTurn,
} from './turns.js';

export interface DecisionInput {
  turn_id: number;
  decision: DecisionKind;
  /** Required for `correct` and `new_intent`; ignored for the others. */
  intent?: string | null;
  /** Apply the same decision to the undecided near-duplicates of the turn (default true). */
  apply_to_group?: boolean;
}

export interface RecordOptions {
  /** API key name, or `cli`. */
  reviewer: string;
  source?: 'review' | 'discovery';
  clusterId?: number | null;
}

/** Letters and digits first, then letters, digits, `_ . : -` (BANKING77 style `card_arrival`). */
const INTENT_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}_.:-]{0,99}$/u;

export function checkIntentName(intent: unknown, field: string): string {
  if (typeof intent !== 'string' || intent.trim() === '') {
    throw new ValidationError(`${field} is required: name the intent`, [{ field, problem: 'is required' }]);
  }
  const name = intent.trim();
  if (!INTENT_PATTERN.test(name)) {
    throw new ValidationError(
      `intent name ${JSON.stringify(name)} is not valid: start with a letter or digit, then letters, digits, _ . : - (100 characters at most)`,
      [{ field, problem: 'must match ^[letter/digit][letters, digits, _ . : -]{0,99}$' }],
    );
  }
  return name;
}

/** Intents the model already knows: the production model's labels and every intent it predicted in the log. */
async function knownIntents(lab: LabContext, turns: ReviewTurn[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const t of turns) for (const p of t.top) known.add(p.intent);
  try {
    const { resolveModel } = await import('../experiments/registry.js');
    for (const label of (await resolveModel(lab, 'production')).labels) known.add(label);
  } catch {
    // No production model yet: the log's predictions are all we know.
  }
  return known;
}

async function createdIntents(lab: LabContext): Promise<Set<string>> {
  const rows = await lab.db.kysely
    .selectFrom('review_decisions')
    .select('intent')
    .distinct()
    .where('decision', '=', 'new_intent')
    .execute();
  return new Set(rows.map((r) => r.intent).filter((i): i is string => i !== null));
}

interface Row {
  dataset_id: number;
  turn_id: number;
  decision: DecisionKind;
  intent: string | null;
  predicted_intent: string;
}

/** What one decision means for one turn; `correct` to the predicted intent is an `accept`. */
function rowFor(turn: ReviewTurn, decision: DecisionKind, intent: string | null): Row {
  let kind = decision;
  if ((kind === 'correct' || kind === 'accept') && intent === turn.predicted_intent) kind = 'accept';
  else if (kind === 'accept') kind = 'correct';
  return {
    dataset_id: turn.dataset_id,
    turn_id: turn.id,
    decision: kind,
    intent: kind === 'oos' || kind === 'skip' ? null : intent,
    predicted_intent: turn.predicted_intent,
  };
}

/**
 * Validates every input first (unknown turn, a turn of a training dataset or without a
 * prediction, a missing or malformed intent), then writes all rows in one transaction, so a bad
 * input anywhere writes nothing. Returns the rows written (group members included).
 */
export async function recordDecisions(
  lab: LabContext,
  inputs: DecisionInput[],
  options: RecordOptions,
  field = 'decisions',
): Promise<DecisionView[]> {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new ValidationError('give at least one decision', [{ field, problem: 'is empty' }]);
  }
  const db = lab.db.kysely;
  // Per-log caches: a discovery cluster may decide hundreds of turns of one log at once.
  const turnsByDataset = new Map<number, ReviewTurn[]>();
  const knownByDataset = new Map<number, Set<string>>();
  const latestByDataset = new Map<number, Awaited<ReturnType<typeof latestDecisions>>>();
  const rows: Row[] = [];
  const decided = new Set<number>();
  const byId = new Map<number, { turn: ReviewTurn; group: ReviewTurn[] }>();
  let created: Set<string> | undefined;
  for (const [i, input] of inputs.entries()) {
    // A list is named `…decisions` (`body.decisions[2].intent`); a single decision is the field itself.
    const at = field.endsWith('decisions') ? `${field}[${i}]` : field;
    if (!DECISION_KINDS.includes(input.decision)) {
      throw new ValidationError(`decision must be one of ${DECISION_KINDS.join(', ')}`, [
        { field: `${at}.decision`, problem: `must be one of ${DECISION_KINDS.join(', ')}` },
      ]);
    }
    const turnId = Number(input.turn_id);
    const turn = Number.isInteger(turnId)
      ? await db
          .selectFrom('turns')
          .select(['id', 'dataset_id', 'speaker', 'predicted_intent'])
          .where('id', '=', turnId)
          .executeTakeFirst()
      : undefined;
    if (!turn) throw new NotFoundError('turn', input.turn_id, [{ field: `${at}.turn_id`, problem: 'no such turn' }]);
    const datasetId = Number(turn.dataset_id);
    if (!turnsByDataset.has(datasetId)) await getLogDataset(lab, datasetId, `${at}.turn_id`);
    if (turn.speaker !== 'USER') {
      throw new ValidationError(`turn ${turnId} is a ${turn.speaker} turn: only user turns are reviewed`, [
        { field: `${at}.turn_id`, problem: 'not a user turn' },
      ]);
    }
    if (turn.predicted_intent === null) {
      throw new ValidationError(
        `turn ${turnId} has no prediction: run \`chatlab analyze --dataset ${datasetId}\` (POST /analytics/label) first`,
        [{ field: `${at}.turn_id`, problem: 'turn has no prediction' }],
      );
    }
    let turns = turnsByDataset.get(datasetId);
    if (!turns) {
      turnsByDataset.set(datasetId, (turns = await predictedTurns(lab, datasetId)));
      const groups = new Map<string, ReviewTurn[]>();
      for (const t of turns) {
        const key = nearDuplicateKey(t.text);
        const group = groups.get(key);
        if (group) group.push(t);
        else groups.set(key, [t]);
        byId.set(t.id, { turn: t, group: groups.get(key)! });
      }
    }
    const { turn: self, group } = byId.get(turnId)!;

    let intent: string | null = null;
    if (input.decision === 'accept') intent = self.predicted_intent;
    if (input.decision === 'correct' || input.decision === 'new_intent') {
      intent = checkIntentName(input.intent, `${at}.intent`);
      let known = knownByDataset.get(datasetId);
      if (!known) knownByDataset.set(datasetId, (known = await knownIntents(lab, turns)));
      created ??= await createdIntents(lab);
      if (input.decision === 'new_intent' && known.has(intent)) {
        throw new ValidationError(`"${intent}" is already an intent of the model: correct the turn to it instead`, [
          { field: `${at}.intent`, problem: 'intent already exists' },
        ]);
      }
      if (input.decision === 'correct' && !known.has(intent) && !created.has(intent)) {
        throw new ValidationError(
          `"${intent}" is not an intent the model knows: record it as a new intent (new-intent / "decision": "new_intent")`,
          [{ field: `${at}.intent`, problem: 'unknown intent' }],
        );
      }
    }
    rows.push(rowFor(self, input.decision, intent));
    decided.add(self.id);
    if (input.apply_to_group !== false) {
      let latest = latestByDataset.get(datasetId);
      if (!latest) latestByDataset.set(datasetId, (latest = await latestDecisions(lab, [datasetId])));
      for (const other of group) {
        if (decided.has(other.id)) continue;
        const last = latest.get(other.id);
        if (last && last.decision !== 'skip') continue;
        rows.push(rowFor(other, input.decision, intent));
        decided.add(other.id);
      }
    }
  }
  const source = options.source ?? 'review';
  const reviewer = options.reviewer.trim() || 'anonymous';
  return db.transaction().execute(async (trx) => {
    const written: DecisionView[] = [];
    for (const r of rows) {
      const row = await trx
        .insertInto('review_decisions')
        .values({ ...r, reviewer, source, cluster_id: options.clusterId ?? null })
        .returningAll()
        .executeTakeFirstOrThrow();
      written.push(decisionView(row));
    }
    return written;
  });
}

/** Every decision on a turn, oldest first; the last one is the one that counts. */
export async function decisionHistory(lab: LabContext, turnId: number): Promise<DecisionView[]> {
  const turn = await lab.db.kysely.selectFrom('turns').select('id').where('id', '=', turnId).executeTakeFirst();
  if (!turn) throw new NotFoundError('turn', turnId, [{ field: 'turn_id', problem: 'no such turn' }]);
  const rows = await lab.db.kysely
    .selectFrom('review_decisions')
    .selectAll()
    .where('turn_id', '=', turnId)
    .orderBy('id')
    .execute();
  return rows.map(decisionView);
}
