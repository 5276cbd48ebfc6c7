import type { Command } from 'commander';
import { ValidationError } from '../../core/errors.js';
import type { DecisionInput } from '../../review/index.js';
import { output, table, withLab } from '../output.js';

/** The review queue: thin doors into src/review. Decisions made here are recorded as reviewer `cli`. */

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) {
    throw new ValidationError(`${name} must be an integer (got "${value}")`, [
      { field: name, problem: 'must be an integer' },
    ]);
  }
  return n;
}

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) {
    throw new ValidationError(`${name} must be a number (got "${value}")`, [
      { field: name, problem: 'must be a number' },
    ]);
  }
  return n;
}

const pct = (v: number | null | undefined) => (typeof v === 'number' ? `${(v * 100).toFixed(1)} %` : '-');

interface DecideOptions {
  accept?: boolean;
  intent?: string;
  newIntent?: string;
  oos?: boolean;
  skip?: boolean;
  onlyThis?: boolean;
  json?: boolean;
}

/** Exactly one of the decision flags, as a decision input. */
export function decisionFromFlags(turnId: number, o: DecideOptions): DecisionInput {
  const chosen: DecisionInput[] = [];
  if (o.accept) chosen.push({ turn_id: turnId, decision: 'accept' });
  if (o.intent !== undefined) chosen.push({ turn_id: turnId, decision: 'correct', intent: o.intent });
  if (o.newIntent !== undefined) chosen.push({ turn_id: turnId, decision: 'new_intent', intent: o.newIntent });
  if (o.oos) chosen.push({ turn_id: turnId, decision: 'oos' });
  if (o.skip) chosen.push({ turn_id: turnId, decision: 'skip' });
  if (chosen.length !== 1) {
    throw new ValidationError('give exactly one of --accept, --intent X, --new-intent X, --oos, --skip', [
      { field: 'decision', problem: chosen.length ? 'more than one decision' : 'no decision' },
    ]);
  }
  return { ...chosen[0]!, apply_to_group: !o.onlyThis };
}

export function registerReview(program: Command): void {
  const review = program
    .command('review')
    .description(
      'review queue over logged user turns: rank, decide (accept, correct, new intent, out of scope, skip), stats',
    );

  review
    .command('queue')
    .description('undecided user turns of a log, near-duplicates grouped, ranked by a strategy')
    .requiredOption('--dataset <log>', 'log dataset id or name')
    .option('--strategy <s>', 'uncertainty | margin | disagreement | fallback | random', 'uncertainty')
    .option('--limit <n>', 'groups to show', '20')
    .option('--offset <n>', 'groups to skip', '0')
    .option('--threshold <p>', "fallback threshold (default: the production model's, else 0.5)")
    .option('--seed <n>', 'random strategy: the same seed gives the same sample')
    .option('--q <text>', 'only texts containing this')
    .option('--intent <name>', 'only turns predicted as this intent')
    .option('--include-skipped', 'put skipped turns back in the queue')
    .option('--json', 'print JSON')
    .action(async (o) => {
      await withLab(async (lab) => {
        const { reviewQueue } = await import('../../review/index.js');
        const queue = await reviewQueue(lab, o.dataset, {
          strategy: o.strategy,
          limit: intOption('--limit', o.limit),
          offset: intOption('--offset', o.offset),
          threshold: numberOption('--threshold', o.threshold),
          seed: intOption('--seed', o.seed),
          q: o.q,
          intent: o.intent,
          includeSkipped: o.includeSkipped === true,
        });
        output(queue, o, (q) =>
          [
            `${q.dataset.name} (dataset ${q.dataset.id}), strategy ${q.strategy}: ${q.groups} group(s), ${q.turns} undecided turn(s)`,
            table(
              q.items.map((i) => ({
                turn: i.turn_id,
                group: i.group_size,
                predicted: i.predicted_intent,
                confidence: i.confidence.toFixed(3),
                margin: i.margin.toFixed(3),
                given: i.given_intent ?? '',
                text: i.text.length > 60 ? `${i.text.slice(0, 57)}...` : i.text,
              })),
            ),
            q.items.length
              ? 'decide with: chatlab review decide <turn> --accept | --intent X | --new-intent X | --oos | --skip'
              : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      });
    });

  review
    .command('decide')
    .description('record a decision on a turn (and its undecided near-duplicates); the turn itself is not changed')
    .argument('<turn>', 'turn id')
    .option('--accept', 'the prediction is right')
    .option('--intent <name>', 'correct the turn to this existing intent')
    .option('--new-intent <name>', 'the turn belongs to a new intent')
    .option('--oos', 'out of scope')
    .option('--skip', 'skip (stays undecided for the statistics)')
    .option('--only-this', 'do not apply the decision to the near-duplicates')
    .option('--json', 'print JSON')
    .action(async (turn: string, o: DecideOptions) => {
      const input = decisionFromFlags(intOption('turn', turn)!, o);
      await withLab(async (lab) => {
        const { recordDecisions } = await import('../../review/index.js');
        const decisions = await recordDecisions(lab, [input], { reviewer: 'cli' }, 'turn');
        // The API's answer (POST /review/decisions).
        output({ decisions }, o, ({ decisions: rows }) =>
          rows
            .map((r) => `turn ${r.turn_id}: ${r.decision}${r.intent ? ` ${r.intent}` : ''} (decision ${r.id})`)
            .join('\n'),
        );
      });
    });

  review
    .command('history')
    .description('every decision on a turn, oldest first (the last one counts)')
    .argument('<turn>', 'turn id')
    .option('--json', 'print JSON')
    .action(async (turn: string, o) => {
      await withLab(async (lab) => {
        const { decisionHistory } = await import('../../review/index.js');
        const decisions = await decisionHistory(lab, intOption('turn', turn)!);
        output({ decisions }, o, ({ decisions: rows }) =>
          table(
            rows.map((r) => ({
              id: r.id,
              decision: r.decision,
              intent: r.intent,
              reviewer: r.reviewer,
              source: r.source,
              at: r.created_at,
            })),
          ),
        );
      });
    });

  review
    .command('stats')
    .description("reviewed / pending, and the model's accuracy on reviewed turns per intent (Wilson 95 % interval)")
    .requiredOption('--dataset <log>', 'log dataset id or name')
    .option('--json', 'print JSON')
    .action(async (o) => {
      await withLab(async (lab) => {
        const { reviewStats } = await import('../../review/index.js');
        output(await reviewStats(lab, o.dataset), o, (s) => {
          const ci = (e: { ci95: { low: number; high: number } | null }) =>
            e.ci95 ? `${pct(e.ci95.low)} – ${pct(e.ci95.high)}` : '-';
          return [
            `${s.dataset.name} (dataset ${s.dataset.id}): ${s.reviewed} reviewed, ${s.skipped} skipped, ${s.pending} pending of ${s.total}`,
            `accuracy on reviewed turns: ${pct(s.accuracy.accuracy)} (${s.accuracy.correct}/${s.accuracy.judged}), 95 % CI ${ci(s.accuracy)}`,
            table(
              s.per_intent.map((p) => ({
                intent: p.intent,
                right: `${p.correct}/${p.judged}`,
                accuracy: pct(p.accuracy),
                ci95: ci(p),
              })),
            ),
          ].join('\n');
        });
      });
    });
}
