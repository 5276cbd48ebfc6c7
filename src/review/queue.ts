/**
 * The review queue: undecided user turns of a log, near-duplicates grouped (one decision applies
 * to the group), ranked by the chosen strategy so a reviewer's minutes go where they teach the
 * model most — or, with `random`, where they give an unbiased audit sample.
 */
import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import { DEFAULT_THRESHOLD, FALLBACK_LABELS } from '../analytics/fallback.js';
import { STRATEGY_NAMES, type QueueItem, type ReviewQueue, type Strategy } from '../api/contracts/review.js';
import { getLogDataset, latestDecisions, nearDuplicateKey, predictedTurns, type ReviewTurn } from './turns.js';

/** The ranking strategies, declared once with the API's contract. */
export const STRATEGIES: readonly Strategy[] = STRATEGY_NAMES;
export type { QueueItem, ReviewQueue, Strategy };

export interface QueueOptions {
  strategy?: string;
  limit?: number;
  offset?: number;
  /** Confidence under which a prediction is a fallback; default the production model's, else 0.5. */
  threshold?: number;
  /** Order of the `random` strategy: the same seed gives the same sample. */
  seed?: number;
  /** Only turns whose text contains this (case-insensitive). */
  q?: string;
  /** Only turns predicted as this intent. */
  intent?: string;
  /** Put skipped turns back in the queue. */
  includeSkipped?: boolean;
}

export function checkStrategy(value: unknown): Strategy {
  const s = value === undefined || value === '' ? 'uncertainty' : String(value);
  if (!(STRATEGIES as readonly string[]).includes(s)) {
    throw new ValidationError(`unknown strategy "${s}": use one of ${STRATEGIES.join(', ')}`, [
      { field: 'strategy', problem: `must be one of ${STRATEGIES.join(', ')}` },
    ]);
  }
  return s as Strategy;
}

function marginOf(t: ReviewTurn): number {
  if (t.top.length >= 2) return t.top[0]!.confidence - t.top[1]!.confidence;
  // Only top-1 known: the runner-up has at most 1 − top1, so the margin is at least 2·top1 − 1.
  return Math.max(0, 2 * t.confidence - 1);
}

/** A fixed pseudo-random rank per (seed, turn) (murmur3's finaliser), so pages of one sample agree. */
function hashRank(seed: number, id: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ id) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

async function defaultThreshold(lab: LabContext): Promise<number> {
  try {
    const { resolveModel } = await import('../experiments/registry.js');
    return (await resolveModel(lab, 'production')).threshold || DEFAULT_THRESHOLD;
  } catch {
    return DEFAULT_THRESHOLD;
  }
}

export async function reviewQueue(
  lab: LabContext,
  datasetRef: string | number,
  options: QueueOptions = {},
): Promise<ReviewQueue> {
  const strategy = checkStrategy(options.strategy);
  const limit = options.limit ?? 20;
  const offset = options.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new ValidationError('limit must be an integer from 1 to 500', [{ field: 'limit', problem: 'out of range' }]);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ValidationError('offset must be a non-negative integer', [{ field: 'offset', problem: 'out of range' }]);
  }
  const dataset = await getLogDataset(lab, datasetRef);
  const turns = await predictedTurns(lab, dataset.id);
  if (turns.length === 0) {
    throw new ValidationError(
      `dataset ${dataset.id} (${dataset.name}) has no user turns with a prediction: run \`chatlab analyze --dataset ${dataset.id}\` (POST /analytics/label) first`,
      [{ field: 'dataset', problem: 'no predictions' }],
    );
  }
  const threshold = options.threshold ?? (await defaultThreshold(lab));
  const seed = options.seed ?? 1;
  const latest = await latestDecisions(lab, [dataset.id]);
  const q = options.q?.trim().toLowerCase();
  const fallbackLabels = new Set(FALLBACK_LABELS);

  const undecided = turns.filter((t) => {
    const d = latest.get(t.id);
    return !d || (options.includeSkipped === true && d.decision === 'skip');
  });
  // Groups are formed over every undecided turn, so the size shown is what a decision covers.
  const groups = new Map<string, ReviewTurn[]>();
  for (const t of undecided) {
    const key = nearDuplicateKey(t.text);
    const g = groups.get(key);
    if (g) g.push(t);
    else groups.set(key, [t]);
  }

  const eligible = (t: ReviewTurn): boolean => {
    if (q && !t.text.toLowerCase().includes(q)) return false;
    if (options.intent && t.predicted_intent !== options.intent) return false;
    if (strategy === 'disagreement') return t.given_intent !== null && t.given_intent !== t.predicted_intent;
    if (strategy === 'fallback') {
      return (
        t.confidence < threshold ||
        fallbackLabels.has(t.predicted_intent.toLowerCase()) ||
        (t.given_intent !== null && fallbackLabels.has(t.given_intent.toLowerCase()))
      );
    }
    return true;
  };
  // Lower score first. Disagreement: the most confident contradictions first (a label error in
  // the log or a confident mistake of the model, both worth a look).
  const scoreOf = (t: ReviewTurn): number => {
    switch (strategy) {
      case 'margin':
        return marginOf(t);
      case 'disagreement':
        return -t.confidence;
      case 'random':
        return hashRank(seed, t.id);
      default:
        return t.confidence;
    }
  };

  const ranked: QueueItem[] = [];
  let matchingTurns = 0;
  for (const group of groups.values()) {
    let best: ReviewTurn | undefined;
    let bestScore = Infinity;
    for (const t of group) {
      if (!eligible(t)) continue;
      const s = scoreOf(t);
      if (s < bestScore || (s === bestScore && best && t.id < best.id)) {
        best = t;
        bestScore = s;
      }
    }
    if (!best) continue;
    matchingTurns += group.length;
    ranked.push({
      turn_id: best.id,
      conversation_id: best.conversation_id,
      text: best.text,
      given_intent: best.given_intent,
      predicted_intent: best.predicted_intent,
      confidence: best.confidence,
      margin: marginOf(best),
      top: best.top,
      group_size: group.length,
      group_turn_ids: group.map((t) => t.id),
      score: bestScore,
    });
  }
  ranked.sort((a, b) => a.score - b.score || a.turn_id - b.turn_id);
  return {
    dataset: { id: dataset.id, name: dataset.name },
    strategy,
    threshold,
    groups: ranked.length,
    turns: matchingTurns,
    offset,
    limit,
    items: ranked.slice(offset, offset + limit),
  };
}
