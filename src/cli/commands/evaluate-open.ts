import { InvalidArgumentError, type Command } from 'commander';
import type { OpenIntentProgress, OpenIntentReport } from '../../training/open-intent.js';
import { intOption, SEED } from '../options.js';
import { output, table, withLab } from '../output.js';
import { parseParams } from './training.js';

/** Open-intent evaluation: a thin door into src/training/open-intent.ts. */

function ratioOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n >= 1) {
    throw new InvalidArgumentError('must be a number between 0 and 1, exclusive (e.g. 0.75)');
  }
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** One bar over all seeds (each seed's share moves with its training epochs), on a terminal only. */
async function seedBar(): Promise<{ update: (p: OpenIntentProgress) => void; stop: () => void }> {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { format: 'open-intent [{bar}] {percentage}% | {info}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1000, 0, { info: '' });
  return {
    update: (p) => bar.update(Math.round(((p.seedIndex + p.fraction) / p.seeds) * 1000), { info: p.message }),
    stop: () => bar.stop(),
  };
}

const pct = (v: number) => (v * 100).toFixed(2);
const pm = (s: { mean: number; std: number }) => `${pct(s.mean)} ± ${pct(s.std)}`;

export function describeOpenIntent(r: OpenIntentReport): string {
  const s = r.summary;
  const lines = [
    `Open-intent evaluation of ${r.model_type} on ${r.dataset.name} (dataset ${r.dataset.id}): ` +
      `${Math.round(r.known_ratio * 100)} % of intents known, seeds ${r.seeds.join(', ')}, threshold objective ${r.oos_objective}, ` +
      (r.open_in_validation ? 'open intents in validation' : 'known-only validation (published protocol)'),
    `  known intents ${r.per_seed[0]!.known_intents.length}, open ${r.per_seed[0]!.open_intents.length}; ` +
      `test ${r.per_seed[0]!.sizes.test} texts (${r.per_seed[0]!.sizes.test_open} open)`,
    '',
    table([
      {
        metric: 'accuracy (known + open)',
        'mean ± std %': pm(s.accuracy),
      },
      { metric: 'macro-F1 (known + open)', 'mean ± std %': pm(s.macro_f1) },
      { metric: 'F1 known', 'mean ± std %': pm(s.f1_known) },
      { metric: 'F1 open', 'mean ± std %': pm(s.f1_open) },
      { metric: 'in-scope accuracy', 'mean ± std %': pm(s.in_scope_accuracy) },
      { metric: 'out-of-scope recall', 'mean ± std %': pm(s.oos_recall) },
      { metric: 'out-of-scope precision', 'mean ± std %': pm(s.oos_precision) },
    ]),
    '',
    'Per seed (test; the score and threshold were chosen on validation):',
    table(
      r.per_seed.map((x) => ({
        seed: x.seed,
        score: x.score,
        accuracy: pct(x.accuracy),
        'macro-F1': pct(x.macro_f1),
        'in-scope acc': pct(x.in_scope_accuracy),
        'oos recall': pct(x.oos_recall),
        'oos precision': pct(x.oos_precision),
        'msp accuracy': pct(x.msp.accuracy),
      })),
    ),
    '',
    'Known-vs-open AUROC of each out-of-scope score (validation mean | test mean ± std):',
    table(
      Object.entries(r.auroc_test).map(([name, test]) => {
        // Null without open texts in validation (--known-only-validation).
        const val = r.per_seed
          .map((x) => x.auroc.validation[name as keyof typeof x.auroc.validation])
          .filter((v): v is number => typeof v === 'number');
        return {
          score: name,
          validation: val.length ? (val.reduce((a, b) => a + b, 0) / val.length).toFixed(4) : 'n/a',
          test: `${test!.mean.toFixed(4)} ± ${test!.std.toFixed(4)}`,
        };
      }),
    ),
  ];
  if (r.published.length) {
    lines.push(
      '',
      'Published BANKING77 results at this known ratio (accuracy / macro-F1 %, BERT-base; see README):',
      ...(r.open_in_validation
        ? [
            'Note: our threshold was chosen on a validation set holding open-intent texts; the published methods never saw one (compare like for like with --known-only-validation).',
          ]
        : []),
      table([
        {
          method: `ours (${r.model_type})`,
          accuracy: pct(r.summary.accuracy.mean),
          'macro-F1': pct(r.summary.macro_f1.mean),
          source: 'this run',
        },
        ...r.published.map((p) => ({
          method: p.method,
          accuracy: p.accuracy.toFixed(2),
          'macro-F1': p.macro_f1.toFixed(2),
          source: p.source,
        })),
      ]),
    );
  }
  return lines.join('\n');
}

export function registerEvaluateOpen(program: Command): void {
  program
    .command('evaluate-open')
    .description(
      'open-intent evaluation: train on a seeded share of the intents, treat the rest as out-of-scope in validation and test, report mean ± std over seeds',
    )
    .requiredOption('--dataset <id|name>', 'dataset id or name')
    .option('--known-ratio <r>', 'share of intents known at training time (0 < r < 1)', ratioOption, 0.75)
    .option('--seeds <n>', 'number of seeds (known-intent draws and trainings)', intOption(1, 20), 3)
    .option('--seed <n>', 'first seed (then seed + 1, ...)', SEED, 0)
    .option('--model <type>', 'tfidf-linear | encoder-mlp | ensemble', 'tfidf-linear')
    .option('--param <name=value>', 'any hyper-parameter of the model (repeatable)', collect)
    .option(
      '--oos-objective <objective>',
      'threshold objective on validation: accuracy (default), balanced or recall@<target>',
    )
    .option(
      '--known-only-validation',
      'leave open-intent texts out of validation, as the published protocol does (threshold chosen without seeing any unknown intent)',
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExample:\n  chatlab evaluate-open --dataset banking77 --known-ratio 0.75 --seeds 3\n' +
        'On a banking77 dataset the published results at 0.25, 0.5 and 0.75 are printed beside ours.',
    )
    .action(async (o) => {
      await withLab(async (lab) => {
        const { evaluateOpenIntent } = await import('../../training/open-intent.js');
        const bar = await seedBar();
        let report: OpenIntentReport;
        try {
          report = await evaluateOpenIntent(
            lab,
            {
              datasetId: o.dataset,
              knownRatio: o.knownRatio,
              seeds: o.seeds,
              seed: o.seed,
              modelType: o.model,
              overrides: parseParams(o.param),
              oosObjective: o.oosObjective,
              knownOnlyValidation: o.knownOnlyValidation === true,
              cacheDir: lab.settings.modelCacheDir,
            },
            bar.update,
          );
        } finally {
          bar.stop();
        }
        output(report, o, describeOpenIntent);
      });
    });
}
