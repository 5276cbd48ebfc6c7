import type { Command } from 'commander';
import { AppError, ValidationError } from '../../core/errors.js';
import type { LabContext } from '../../core/context.js';
import type { RunView } from '../../experiments/runs.js';
import { intOption as intRange, numberOption, SEED } from '../options.js';
import { output, table, withLab } from '../output.js';
import { dict } from '../../core/dict.js';

/** Training, evaluation, prediction, runs and models: thin doors into src/training and src/experiments. */

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `name=value` pairs; numbers and booleans are typed so parameter ranges can be checked. */
export function parseParams(pairs: string[] = []): Record<string, number | string | boolean> {
  const out = dict<number | string | boolean>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new ValidationError(`--param ${pair}: use name=value`, [
        { field: '--param', problem: 'must be name=value' },
      ]);
    const name = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    out[name] =
      raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n))
    throw new ValidationError(`${name} must be an integer (got "${value}")`, [
      { field: name, problem: 'must be an integer' },
    ]);
  return n;
}

const pct = (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(2)} %` : '-');

function runSummary(run: RunView): string {
  const m = (run.metrics ?? {}) as Record<string, unknown>;
  const lines = [
    `Run ${run.id} (${run.name}): ${run.status}${run.error ? ` — ${run.error}` : ''}`,
    `  model: ${run.model_type}, dataset: ${run.dataset_id ?? '-'}, experiment: ${run.experiment}`,
  ];
  if (m.accuracy !== undefined) {
    lines.push(
      `  test accuracy ${pct(m.accuracy)}, macro F1 ${pct(m.macro_f1)}, ECE ${typeof m.ece === 'number' ? m.ece.toFixed(4) : '-'}, fallback threshold ${typeof m.threshold === 'number' ? m.threshold.toFixed(3) : '-'}`,
    );
  }
  if (m.accuracy_mean !== undefined) {
    lines.push(
      `  ${m.folds}-fold accuracy ${pct(m.accuracy_mean)} ± ${pct(m.accuracy_std)}, macro F1 ${pct(m.macro_f1_mean)} ± ${pct(m.macro_f1_std)}, likely label errors: ${m.likely_label_errors}`,
    );
  }
  if (Array.isArray(m.leaderboard)) {
    lines.push(`  best ${m.metric}: ${pct(m.best_score)} with ${JSON.stringify(m.best_params)}`);
    lines.push(
      table(
        (m.leaderboard as Array<Record<string, unknown>>).map((e) => ({
          rank: e.rank,
          run: e.run_id,
          score: pct(e.score),
          params: JSON.stringify(e.params),
        })),
      ),
    );
    const failed = Array.isArray(m.failed_trials) ? m.failed_trials.length : 0;
    if (failed) lines.push(`  ${failed} trial(s) did not succeed (metrics.failed_trials)`);
    const best = m.best_model as { run_id: number; status: string; model_version: number | null } | undefined;
    if (best) {
      lines.push(
        `  best parameters trained in run ${best.run_id}: ${best.status}${best.model_version !== null ? `, model version ${best.model_version}` : ''}`,
      );
    }
  }
  if (run.model_version !== null) lines.push(`  registered as model version ${run.model_version}`);
  if (run.run_dir) lines.push(`  artifacts: ${run.run_dir}`);
  if (run.duration_ms !== null) lines.push(`  duration: ${(run.duration_ms / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

/** Epoch and featurise/embed progress bars, on a terminal only. */
export async function watchProgress(runId: number): Promise<() => void> {
  if (!process.stderr.isTTY) return () => {};
  const [{ default: cliProgress }, { subscribe }] = await Promise.all([
    import('cli-progress'),
    import('../../training/events.js'),
  ]);
  const bars = new cliProgress.MultiBar(
    {
      format: '{label} [{bar}] {value}/{total} {info}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const open = new Map<string, ReturnType<typeof bars.create>>();
  const bar = (label: string, total: number) => {
    let b = open.get(label);
    if (!b) {
      b = bars.create(total, 0, { label: label.padEnd(9), info: '' });
      open.set(label, b);
    }
    return b;
  };
  const unsubscribe = subscribe(runId, (e) => {
    if (e.type === 'phase' && e.total !== undefined)
      bar(e.phase, e.total).update(e.done ?? 0, { info: e.message ?? '' });
    if (e.type === 'epoch') {
      const eta = e.eta_seconds === null ? '' : ` ETA ${e.eta_seconds.toFixed(0)} s`;
      const acc = e.val_accuracy === undefined ? '' : ` val_acc ${(e.val_accuracy * 100).toFixed(1)} %`;
      bar('epochs', e.epochs).update(e.epoch, { info: `loss ${e.loss.toFixed(4)}${acc}${eta}` });
    }
  });
  return () => {
    unsubscribe();
    bars.stop();
  };
}

/** A run that ended badly makes the command fail (exit 1) after printing it. */
export function failIfNotSucceeded(run: RunView): void {
  if (run.status === 'failed' || run.status === 'cancelled') {
    throw new AppError(
      'RUN_' + run.status.toUpperCase(),
      `run ${run.id} ${run.status}: ${run.error ?? 'no reason recorded'}`,
      1,
    );
  }
}

async function printQueued(q: { run_id: number; job_id: number }, json?: boolean) {
  output(
    { ...q, status: 'queued' },
    { json },
    () =>
      `Run ${q.run_id} queued (job ${q.job_id}); a running \`chatlab serve\` executes it. Follow with: chatlab runs show ${q.run_id}`,
  );
}

export function registerTraining(program: Command): void {
  program
    .command('train')
    .description('train an intent classifier, evaluate it on the test split and register it as a model version')
    .requiredOption('--dataset <id|name>', 'dataset id or name')
    .requiredOption('--model <type>', 'tfidf-linear | encoder-mlp | ensemble')
    .option('--epochs <n>', 'num_epochs', numberOption)
    .option('--lr <rate>', 'learning_rate', numberOption)
    .option('--param <name=value>', 'any hyper-parameter (repeatable)', collect)
    .option('--seed <n>', 'random seed (split and training)', SEED, 42)
    .option('--alias <alias>', 'point this alias (e.g. staging) at the new version')
    .option(
      '--oos-objective <objective>',
      'fallback threshold chosen on validation to maximise: accuracy (in-scope + out-of-scope), balanced (mean of in-scope accuracy and oos recall) or recall@<target> (best in-scope accuracy with oos recall >= target)',
    )
    .option('--experiment <name>', 'experiment to file the run under')
    .option('--async', 'queue the run for the server worker and return its id')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const overrides = parseParams(o.param);
      if (o.epochs !== undefined) overrides.num_epochs = Number(o.epochs);
      if (o.lr !== undefined) overrides.learning_rate = Number(o.lr);
      await withLab(async (lab) => {
        const { prepareRun, executeRun } = await import('../../training/pipeline.js');
        const req = {
          datasetId: o.dataset,
          modelType: o.model,
          overrides,
          seed: intOption('--seed', o.seed),
          alias: o.alias,
          oosObjective: o.oosObjective,
          experiment: o.experiment,
        };
        if (o.async) {
          const { startTraining } = await import('../../training/service.js');
          return printQueued(await startTraining(lab, req, true), o.json);
        }
        const prepared = await prepareRun(lab, req);
        const stop = await watchProgress(prepared.runId);
        let run: RunView;
        try {
          run = await executeRun(lab, prepared);
        } finally {
          stop();
        }
        output(run, o, runSummary);
        failIfNotSucceeded(run);
      });
    });

  program
    .command('evaluate')
    .description('evaluate a registered model on a dataset split')
    .option('--model <ref>', 'alias, version or name:version', 'production')
    .requiredOption('--dataset <id|name>', 'dataset id or name')
    .option('--split <split>', 'split to evaluate on', 'test')
    .option('--json', 'print JSON')
    .action(async (o) => {
      await withLab(async (lab) => {
        const { evaluateModel } = await import('../../training/evaluate.js');
        const result = await evaluateModel(lab, { model: o.model, datasetId: o.dataset, split: o.split });
        output(result, o, (r) =>
          [
            `Model version ${r.model.version} (${r.model.model_type}) on ${r.dataset.name} [${r.dataset.split}], ${r.metrics.examples} examples`,
            `  accuracy ${pct(r.metrics.accuracy)}, macro F1 ${pct(r.metrics.macro_f1)}, weighted F1 ${pct(r.metrics.weighted_f1)}, ECE ${r.metrics.ece.toFixed(4)}, fallback ${pct(r.metrics.fallback_rate)}`,
            table(
              Object.entries(r.intent_report)
                .sort((a, b) => a[1]['f1-score'] - b[1]['f1-score'])
                .slice(0, 10)
                .map(([intent, s]) => ({
                  intent,
                  f1: pct(s['f1-score']),
                  precision: pct(s.precision),
                  recall: pct(s.recall),
                  support: s.support,
                })),
            ),
          ].join('\n'),
        );
      });
    });

  program
    .command('predict')
    .description('predict the intent of one or more texts with a registered model')
    .argument('<text...>', 'texts to classify')
    .option('--model <ref>', 'alias, version or name:version', 'production')
    .option('--top-k <n>', 'alternatives to show (1-100)', intRange(1, 100), 3)
    .option('--json', 'print JSON')
    .action(async (texts: string[], o) => {
      await withLab(async (lab) => {
        const { checkTexts, getPredictor } = await import('../../training/predict.js');
        checkTexts(texts, 'text');
        const predictor = await getPredictor(lab, o.model);
        const predictions = await predictor.predict(texts, intOption('--top-k', o.topK));
        const data = {
          model: { version: predictor.modelVersion, threshold: predictor.threshold },
          predictions: predictions.map((p, i) => ({ text: texts[i]!, ...p })),
        };
        output(data, o, (d) =>
          d.predictions
            .map(
              (p) =>
                `${p.text}\n  -> ${p.fallback ? `(fallback) ` : ''}${p.intent} ${(p.confidence * 100).toFixed(1)} %  [${p.top.map((t) => `${t.intent} ${(t.confidence * 100).toFixed(1)} %`).join(', ')}]`,
            )
            .join('\n'),
        );
      });
    });

  const runs = program.command('runs').description('training runs: list, show, compare, cancel');
  runs
    .command('list')
    .description('list runs, newest first')
    .option('--status <status>', 'queued | running | succeeded | failed | cancelled')
    .option('--experiment <name>', 'only this experiment')
    .option('--limit <n>', 'how many (1-500)', intRange(1, 500), 20)
    .option('--json', 'print JSON')
    .action(async (o) => {
      await withLab(async (lab) => {
        const { listRuns } = await import('../../experiments/runs.js');
        const list = await listRuns(lab, {
          status: o.status,
          experiment: o.experiment,
          limit: intOption('--limit', o.limit),
        });
        output(list, o, (rows) =>
          table(
            rows.map((r) => ({
              id: r.id,
              name: r.name,
              model: r.model_type,
              status: r.status,
              accuracy: pct(
                (r.metrics as Record<string, unknown> | null)?.accuracy ??
                  (r.metrics as Record<string, unknown> | null)?.accuracy_mean,
              ),
              version: r.model_version ?? '',
              created: r.created_at,
            })),
          ),
        );
      });
    });
  runs
    .command('show')
    .description('a run with parameters, metric history and artifacts')
    .argument('<id>', 'run id')
    .option('--json', 'print JSON')
    .action(async (id: string, o) => {
      await withLab(async (lab) => {
        const { getRunDetail, parseRunId } = await import('../../experiments/runs.js');
        const run = await getRunDetail(lab, parseRunId(id));
        output(run, o, (r) =>
          [
            runSummary(r),
            `  params: ${JSON.stringify(r.params)}`,
            `  metric history: ${r.metric_history.length} points; artifacts: ${r.artifacts.map((a) => a.path).join(', ') || '(none)'}`,
          ].join('\n'),
        );
      });
    });
  runs
    .command('compare')
    .description("compare runs against the first: metric deltas, per-intent F1 deltas, McNemar's test")
    .argument('<ids...>', 'two or more run ids')
    .option('--json', 'print JSON')
    .action(async (ids: string[], o) => {
      await withLab(async (lab) => {
        const { compareRuns, parseRunIds } = await import('../../experiments/compare.js');
        const result = await compareRuns(lab, parseRunIds(ids));
        output(result, o, (r) =>
          r.comparisons
            .map((c) =>
              [
                `Run ${c.candidate} vs baseline run ${c.baseline}: ${c.verdict}`,
                table(
                  Object.entries(c.metric_deltas).map(([metric, d]) => ({
                    metric,
                    baseline: d.baseline?.toFixed(4) ?? '-',
                    candidate: d.candidate?.toFixed(4) ?? '-',
                    delta: d.delta === null ? '-' : `${d.delta >= 0 ? '+' : ''}${d.delta.toFixed(4)}`,
                  })),
                ),
                'Largest per-intent F1 changes:',
                table(
                  [...c.intent_f1_deltas]
                    .filter((d) => d.delta !== null && d.delta !== 0)
                    .sort((a, b) => Math.abs(b.delta!) - Math.abs(a.delta!))
                    .slice(0, 8)
                    .map((d) => ({
                      intent: d.intent,
                      baseline: d.baseline?.toFixed(3),
                      candidate: d.candidate?.toFixed(3),
                      delta: d.delta!.toFixed(3),
                    })),
                ),
              ].join('\n'),
            )
            .join('\n\n'),
        );
      });
    });
  runs
    .command('cancel')
    .description('cancel a queued or running run')
    .argument('<id>', 'run id')
    .option('--json', 'print JSON')
    .action(async (id: string, o) => {
      await withLab(async (lab) => {
        const [{ requestCancel }, { parseRunId }] = await Promise.all([
          import('../../training/pipeline.js'),
          import('../../experiments/runs.js'),
        ]);
        output(
          await requestCancel(lab, parseRunId(id)),
          o,
          (r) =>
            `Run ${r.id}: ${r.status}${r.status === 'running' ? ' (cancel requested; the worker stops at its next step)' : ''}`,
        );
      });
    });

  const models = program.command('models').description('registered model versions and their aliases');
  models
    .command('list')
    .description('list model versions')
    .option('--json', 'print JSON')
    .action(async (o) => {
      await withLab(async (lab) => {
        const { listModels } = await import('../../experiments/registry.js');
        output(await listModels(lab), o, (rows) =>
          table(
            rows.map((m) => ({
              version: m.version,
              type: m.model_type,
              accuracy: pct(m.metrics?.accuracy),
              macro_f1: pct(m.metrics?.macro_f1),
              threshold: m.threshold.toFixed(3),
              aliases: m.aliases.join(','),
              run: m.run_id,
              created: m.created_at,
            })),
          ),
        );
      });
    });
  const aliasCommand = (verb: 'promote' | 'demote') =>
    models
      .command(verb)
      .description(
        verb === 'promote' ? 'point an alias at a version (default production)' : 'remove an alias from a version',
      )
      .argument('<version>', 'version number or name:version')
      .option('--alias <alias>', 'alias', 'production')
      .option('--json', 'print JSON')
      .action(async (version: string, o) => {
        await withLab(async (lab: LabContext) => {
          const { setAlias, removeAlias } = await import('../../experiments/registry.js');
          const m =
            verb === 'promote' ? await setAlias(lab, version, o.alias) : await removeAlias(lab, version, o.alias);
          output(
            m,
            o,
            (v) => `Model version ${v.version} (${v.model_type}): aliases ${v.aliases.join(', ') || '(none)'}`,
          );
        });
      });
  aliasCommand('promote');
  aliasCommand('demote');

  program
    .command('tune')
    .description(
      'hyper-parameter search (grid or random); each trial a queued job any worker can take, scored on validation data only',
    )
    .requiredOption('--dataset <id|name>', 'dataset id or name')
    .requiredOption('--model <type>', 'model type')
    .option('--space <json>', 'search space, e.g. \'{"learning_rate":[0.003,0.01],"num_epochs":{"min":5,"max":20}}\'')
    .option('--grid <name=v1,v2>', 'one parameter and its values (repeatable), instead of --space', collect)
    .option('--strategy <grid|random>', 'grid or random', 'grid')
    .option('--trials <n>', 'random search trials (grid: cap; 1-100)', intRange(1, 100))
    .option('--folds <k>', 'k-fold scoring (0 = validation split; at most 20)', intRange(0, 20), 0)
    .option('--metric <metric>', 'accuracy | macro_f1', 'accuracy')
    .option('--seed <n>', 'seed', SEED, 42)
    .option('--train-best', 'then train and register a model with the best parameters')
    .option('--async', 'queue the search for the server worker')
    .option('--json', 'print JSON')
    .action(async (o) => {
      let space: Record<string, unknown> = dict();
      if (o.space) {
        try {
          space = JSON.parse(o.space);
        } catch {
          throw new ValidationError('--space must be JSON, e.g. {"learning_rate":[0.003,0.01]}', [
            { field: '--space', problem: 'is not valid JSON' },
          ]);
        }
      }
      for (const g of (o.grid as string[] | undefined) ?? []) {
        const [name, values] = g.split('=');
        if (!name || !values)
          throw new ValidationError(`--grid ${g}: use name=v1,v2`, [
            { field: '--grid', problem: 'must be name=v1,v2' },
          ]);
        space[name] = Object.values(parseParams(values.split(',').map((v, i) => `${i}=${v}`)));
      }
      await withLab(async (lab) => {
        const { startSearch } = await import('../../training/service.js');
        const result = await startSearch(
          lab,
          {
            datasetId: o.dataset,
            modelType: o.model,
            space: space as never,
            strategy: o.strategy,
            trials: intOption('--trials', o.trials),
            folds: intOption('--folds', o.folds),
            metric: o.metric,
            seed: intOption('--seed', o.seed),
            trainBest: Boolean(o.trainBest),
          },
          Boolean(o.async),
        );
        if ('job_id' in result) return printQueued(result, o.json);
        output(result, o, runSummary);
        failIfNotSucceeded(result);
      });
    });

  program
    .command('crossval')
    .description('k-fold cross-validation (mean ± std); likely label errors are added to the dataset validation report')
    .requiredOption('--dataset <id|name>', 'dataset id or name')
    .requiredOption('--model <type>', 'model type')
    .option('--folds <k>', 'number of folds (2-20)', intRange(2, 20), 5)
    .option('--param <name=value>', 'hyper-parameter (repeatable)', collect)
    .option('--seed <n>', 'seed', SEED, 42)
    .option('--async', 'queue for the server worker')
    .option('--json', 'print JSON')
    .action(async (o) => {
      await withLab(async (lab) => {
        const { startCrossval } = await import('../../training/service.js');
        const result = await startCrossval(
          lab,
          {
            datasetId: o.dataset,
            modelType: o.model,
            folds: intOption('--folds', o.folds),
            overrides: parseParams(o.param),
            seed: intOption('--seed', o.seed),
          },
          Boolean(o.async),
        );
        if ('job_id' in result) return printQueued(result, o.json);
        output(result, o, runSummary);
        failIfNotSucceeded(result);
      });
    });
}
