import { Command } from 'commander';
import { ValidationError } from '../../core/errors.js';
import type { DeriveResult, PromoteCheckResult } from '../../improve/index.js';
import { output, table, withLab } from '../output.js';
import { MODEL_TYPE_HELP } from './run-output.js';

/**
 * From review decisions to a promoted model: `datasets derive|versions|diff`, `promote-check`,
 * `improve`. Thin doors into src/improve.
 */

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
const signed = (v: number, digits = 2) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(digits)}`;

function holdoutOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) {
    throw new ValidationError(`--holdout must be a number from 0 to below 1 (got "${value}")`, [
      { field: '--holdout', problem: 'out of range' },
    ]);
  }
  return n;
}

export function deriveSummary(r: DeriveResult): string {
  const lines = [
    `${r.created ? 'Created' : 'Already stored:'} ${r.dataset.name} version ${r.dataset.version} (dataset ${r.dataset.id}): ${r.dataset.example_count} examples`,
    `  from ${r.from.name}@${r.from.version} + reviews of ${r.reviews.map((l) => `${l.name} (${l.id})`).join(', ')}`,
    `  added ${r.added.total} (train ${r.added.train}, test ${r.added.test}); ${r.duplicates} already present; ${r.conflicts.length} conflict(s)`,
  ];
  for (const i of r.added.by_intent) lines.push(`    ${i.intent}: +${i.count}${i.new_intent ? ' (new intent)' : ''}`);
  for (const c of r.conflicts.slice(0, 10))
    lines.push(`  conflict: turn ${c.turn_id} "${c.text}" decided ${c.decided_intent}, already ${c.existing_label}`);
  lines.push(
    `  validation: ${r.validation.errors} error(s), ${r.validation.warnings} warning(s) (chatlab datasets validate ${r.dataset.id})`,
  );
  return lines.join('\n');
}

export function promoteSummary(r: PromoteCheckResult): string {
  const lines = [
    `Candidate v${r.candidate.version} (${r.candidate.model_type}) vs baseline v${r.baseline.version} (${r.baseline.model_type}) on ${r.held_out.total} held-out examples (${r.held_out.test_examples} test of ${r.dataset.name}@${r.dataset.version}, ${r.held_out.reviewed_turns} reviewed turns)`,
    `  accuracy ${pct(r.metrics.accuracy.baseline)} -> ${pct(r.metrics.accuracy.candidate)} (${signed(r.metrics.accuracy.delta)} points), macro F1 ${pct(r.metrics.macro_f1.baseline)} -> ${pct(r.metrics.macro_f1.candidate)}`,
    `  McNemar (${r.mcnemar.method}): baseline-only right ${r.mcnemar.b}, candidate-only right ${r.mcnemar.c}, p = ${r.mcnemar.p_value.toPrecision(3)}`,
  ];
  const moved = r.intent_f1_deltas.filter((d) => Math.abs(d.delta) > 1e-9);
  if (moved.length) {
    lines.push('  per-intent F1 changes (worst first):');
    for (const d of moved.slice(0, 10))
      lines.push(
        `    ${d.intent}: ${d.baseline.toFixed(3)} -> ${d.candidate.toFixed(3)} (${signed(d.delta, 1)}, support ${d.support})`,
      );
  }
  lines.push(`Verdict: ${r.verdict.toUpperCase()} — ${r.reasons.join('; ')}`);
  return lines.join('\n');
}

export function registerImprove(program: Command): void {
  // `derive`, `versions` and `diff` belong to the datasets noun, registered before this.
  const datasets = program.commands.find((c) => c.name() === 'datasets') ?? program.command('datasets');

  datasets
    .command('derive')
    .description('new version of a training dataset = its examples + the reviewed turns of logs (with provenance)')
    .requiredOption('--from <dataset>', 'training dataset id, name or name@version')
    .requiredOption('--reviews <logs>', 'reviewed log dataset(s), comma-separated', list)
    .option('--name <name>', 'store under this name (default: the same name, next version)')
    .option('--with-oos', 'add out-of-scope decisions under the `oos` label')
    .option('--holdout <share>', "share of each intent's new examples put in the test split", '0.2')
    .option('--json', 'print JSON')
    .action(async (o) => {
      await withLab(async (lab) => {
        const { deriveDataset } = await import('../../improve/index.js');
        const result = await deriveDataset(lab, {
          from: o.from,
          reviews: o.reviews,
          name: o.name,
          withOos: o.withOos === true,
          holdout: holdoutOption(o.holdout),
        });
        output(result, o, deriveSummary);
      });
    });

  datasets
    .command('versions')
    .description('every version of a dataset (same name) with its provenance')
    .argument('<dataset>', 'dataset id, name or name@version')
    .option('--json', 'print JSON')
    .action(async (ref: string, o) => {
      await withLab(async (lab) => {
        const { datasetVersions } = await import('../../improve/index.js');
        const versions = await datasetVersions(lab, ref);
        output({ versions }, o, ({ versions: rows }) =>
          table(
            rows.map((v) => ({
              id: v.id,
              version: v.version,
              examples: v.example_count,
              labels: v.label_count,
              from_reviews: v.reviewed_examples,
              source: v.source,
            })),
          ),
        );
      });
    });

  datasets
    .command('diff')
    .description('examples per intent added or removed against another version (default: the previous one)')
    .argument('<dataset>', 'dataset id, name or name@version')
    .option('--against <dataset>', 'the version to compare with')
    .option('--json', 'print JSON')
    .action(async (ref: string, o) => {
      await withLab(async (lab) => {
        const { datasetDiff } = await import('../../improve/index.js');
        output(await datasetDiff(lab, ref, o.against), o, (d) =>
          [
            `${d.dataset.name}@${d.dataset.version} against ${d.against ? `${d.against.name}@${d.against.version}` : '(nothing)'}: +${d.added_total} / -${d.removed_total} examples`,
            table(d.by_intent.map((r) => ({ ...r, new_intent: r.new_intent ? 'yes' : '' }))),
          ].join('\n'),
        );
      });
    });

  program
    .command('promote-check')
    .description(
      'score a candidate and the baseline on the same held-out data: McNemar, per-intent F1 deltas, verdict promote | hold | regressed',
    )
    .requiredOption('--candidate <ref>', 'model version (7, name:7, alias) or run (run:12)')
    .option('--baseline <ref>', 'alias or version', 'production')
    .option('--dataset <dataset>', "dataset whose test split is scored (default: the candidate's)")
    .option('--reviews <logs>', 'logs whose held-out reviewed turns are scored (default: every reviewed log)', list)
    .option('--apply', 'move the alias to the candidate when the verdict is promote')
    .option('--alias <alias>', 'the alias --apply moves', 'production')
    .option('--json', 'print JSON')
    .action(async (o) => {
      await withLab(async (lab) => {
        const { promoteCheck } = await import('../../improve/index.js');
        const result = await promoteCheck(lab, {
          candidate: o.candidate,
          baseline: o.baseline,
          dataset: o.dataset,
          reviews: o.reviews,
          apply: o.apply === true,
          alias: o.alias,
        });
        output(result, o, promoteSummary);
      });
    });

  program
    .command('improve')
    .description('the loop in one command: derive a dataset version from the reviews -> train -> promote-check')
    .requiredOption('--dataset <dataset>', 'training dataset id, name or name@version')
    .requiredOption('--reviews <logs>', 'reviewed log dataset(s), comma-separated', list)
    .option('--model <type>', MODEL_TYPE_HELP, 'tfidf-linear')
    .option('--seed <n>', 'training seed', '42')
    .option('--with-oos', 'add out-of-scope decisions under the `oos` label')
    .option('--holdout <share>', "share of each intent's new examples put in the test split", '0.2')
    .option('--baseline <ref>', 'alias or version to beat', 'production')
    .option('--apply', 'move the alias to the new model when the verdict is promote')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const seed = Number(o.seed);
      if (!Number.isInteger(seed)) {
        throw new ValidationError(`--seed must be an integer (got "${o.seed}")`, [
          { field: '--seed', problem: 'not an integer' },
        ]);
      }
      await withLab(async (lab) => {
        const { improveModel } = await import('../../improve/index.js');
        const say = (line: string) => {
          if (!o.json) process.stdout.write(`${line}\n`);
        };
        say(`1/3 derive: ${o.dataset} + reviews of ${o.reviews.join(', ')}`);
        const result = await improveModel(
          lab,
          {
            dataset: o.dataset,
            reviews: o.reviews,
            modelType: o.model,
            seed,
            withOos: o.withOos === true,
            holdout: holdoutOption(o.holdout),
            baseline: o.baseline,
            apply: o.apply === true,
          },
          (step) => {
            if (step.step === 'derive') {
              say(deriveSummary(step.result));
              say(`2/3 train: ${o.model} on dataset ${step.result.dataset.id} (this can take a while)`);
            } else if (step.step === 'train') {
              const m = step.run.metrics ?? {};
              say(
                `Run ${step.run.id}: ${step.run.status}, model version ${step.run.model_version}, test accuracy ${typeof m.accuracy === 'number' ? pct(m.accuracy) : '-'}`,
              );
              say(`3/3 promote-check against ${o.baseline}`);
            } else {
              say(promoteSummary(step.result));
            }
          },
        );
        if (o.json) output(result, o, () => '');
      });
    });
}
