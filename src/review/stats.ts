/**
 * Queue statistics: how much of a log is reviewed, and the model's accuracy on the reviewed
 * turns — accepted vs corrected, per predicted intent — with Wilson 95 % intervals. On a team's
 * own traffic this is the honest estimate of real-world accuracy (on a random-strategy audit
 * sample it is unbiased; on an uncertainty-ranked sample it is pessimistic).
 */
import type { LabContext } from '../lab/context.js';
import type { AccuracyEstimate, ReviewStats } from '../api/contracts/review.js';
import { getLogDataset, latestDecisions, predictedTurns, type DecisionKind } from './turns.js';

const Z95 = 1.959963984540054;

/** Wilson score interval for k successes in n trials; null when n = 0. */
export function wilsonInterval(k: number, n: number, z = Z95): { low: number; high: number } | null {
  if (n === 0) return null;
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export type { AccuracyEstimate, ReviewStats };

function estimate(correct: number, judged: number): AccuracyEstimate {
  return { judged, correct, accuracy: judged ? correct / judged : null, ci95: wilsonInterval(correct, judged) };
}

export async function reviewStats(lab: LabContext, datasetRef: string | number): Promise<ReviewStats> {
  const dataset = await getLogDataset(lab, datasetRef);
  const [turns, latest] = await Promise.all([predictedTurns(lab, dataset.id), latestDecisions(lab, [dataset.id])]);
  const byDecision: Record<DecisionKind, number> = { accept: 0, correct: 0, new_intent: 0, oos: 0, skip: 0 };
  const bySource = new Map<string, number>();
  const perIntent = new Map<string, { correct: number; judged: number }>();
  let judged = 0;
  let right = 0;
  for (const turn of turns) {
    const d = latest.get(turn.id);
    if (!d) continue;
    byDecision[d.decision]++;
    bySource.set(d.source, (bySource.get(d.source) ?? 0) + 1);
    if (d.decision === 'skip') continue;
    // The prediction as it was when the decision was made (a relabel may have changed the turn since).
    const predicted = d.predicted_intent ?? turn.predicted_intent;
    const ok = d.decision === 'accept';
    judged++;
    if (ok) right++;
    const bucket = perIntent.get(predicted) ?? { correct: 0, judged: 0 };
    bucket.judged++;
    if (ok) bucket.correct++;
    perIntent.set(predicted, bucket);
  }
  const skipped = byDecision.skip;
  return {
    dataset: { id: dataset.id, name: dataset.name },
    total: turns.length,
    reviewed: judged,
    skipped,
    pending: turns.length - judged - skipped,
    by_decision: byDecision,
    by_source: [...bySource].map(([source, count]) => ({ source, count })),
    accuracy: estimate(right, judged),
    per_intent: [...perIntent]
      .map(([intent, b]) => ({ intent, ...estimate(b.correct, b.judged) }))
      .sort((a, b) => (a.accuracy ?? 0) - (b.accuracy ?? 0) || b.judged - a.judged || a.intent.localeCompare(b.intent)),
  };
}
