import type { Command } from 'commander';
import type { LabContext } from '../../lab/context.js';
import { intOption as intRange } from '../options.js';
import { output, table, withLab } from '../output.js';
import { intOption, pct } from './run-output.js';

/** Using registered models: evaluate, predict, and the models list/promote/demote group. */

export function registerEvaluate(program: Command): void {
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
}

export function registerPredict(program: Command): void {
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
}

export function registerModels(program: Command): void {
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
}
