import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ValidationError } from '../../core/errors.js';
import { output, table, withLab } from '../output.js';

interface FilterFlags {
  dataset?: string;
  from?: string;
  to?: string;
  speaker?: string;
  intent?: string;
  granularity?: string;
}

/** The filter flags every analytics command shares (same names as the API's query). */
function withFilterFlags(cmd: Command): Command {
  return cmd
    .option('--from <time>', 'turns at or after this ISO-8601 date/time or epoch ms')
    .option('--to <time>', 'turns before this ISO-8601 date/time or epoch ms')
    .option('--speaker <speaker>', 'USER or SYSTEM (intents, flows, fallback default to USER)')
    .option('--intent <intent>', 'effective intent (given label, else predicted)')
    .option('--granularity <g>', 'hour, day, week or month for time series', 'day');
}

const asRows = (rows: Array<Record<string, unknown>>) => rows.map((r) => ({ ...r }));

/** The terminal rendering of each analytics answer: its tables, headed by their names. */
async function renderHuman(kind: string, result: unknown): Promise<string> {
  const { analyticsTables } = await import('../../reports/tables.js');
  const tables = analyticsTables(kind as never, result);
  return Object.entries(tables)
    .map(
      ([name, rows]) =>
        `${name}:\n${table(asRows(rows.slice(0, 50)))}${rows.length > 50 ? `\n... ${rows.length - 50} more rows (use --csv or --json)` : ''}`,
    )
    .join('\n\n');
}

/** A progress bar on a terminal only; nothing when stderr is piped. */
async function progressBar(label: string) {
  if (!process.stderr.isTTY) return { update: (_d: number, _t: number) => {}, stop: () => {} };
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} turns | ETA {eta}s`, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done: number, total: number) {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

/** `chatlab analytics rebuild [--dataset D]`: the rollups of one dataset or of all, from raw turns. */
async function rebuild(opts: { dataset?: string; json?: boolean }): Promise<void> {
  let datasetId: number | undefined;
  if (opts.dataset !== undefined) {
    datasetId = Number(opts.dataset);
    if (!Number.isSafeInteger(datasetId) || datasetId < 1) {
      throw new ValidationError('--dataset must be a positive integer dataset id', [
        { field: '--dataset', problem: 'not a dataset id' },
      ]);
    }
  }
  const { rebuildRollups } = await import('../../analytics/rollups/rebuild.js');
  const bar = await progressBar('rebuilding rollups');
  const result = await withLab(async (lab) => {
    try {
      return await rebuildRollups(lab, { datasetId, onProgress: bar.update });
    } finally {
      bar.stop();
    }
  });
  output(
    result,
    opts,
    (r) => `Rebuilt the analytics rollups of ${r.datasets.length} dataset(s) from ${r.turns} turns.`,
  );
}

export function registerAnalytics(program: Command): void {
  withFilterFlags(
    program
      .command('analytics')
      .description(
        'conversation analytics: overview, intents, flows, fallback, sessions or sentiment; ' +
          '"rebuild" recomputes the analytics rollups from the raw turns',
      )
      .argument('<kind>', 'overview | intents | flows | fallback | sessions | sentiment | rebuild')
      .option('--dataset <id>', 'dataset id (every dataset when absent)'),
  )
    .option('--top <n>', 'intents/flows: top N before "(other)"')
    .option('--limit <n>', 'fallback/sentiment: how many examples to list')
    .option('--threshold <p>', 'fallback: confidence threshold (default 0.5)')
    .option('--json', 'machine-readable output')
    .option('--csv', 'one table of the answer as CSV (see --table)')
    .option('--table <name>', 'with --csv: which table (default: the first)')
    .action(
      async (
        kind: string,
        opts: FilterFlags & {
          top?: string;
          limit?: string;
          threshold?: string;
          json?: boolean;
          csv?: boolean;
          table?: string;
        },
      ) => {
        if (kind === 'rebuild') return rebuild(opts);
        const { assertKind, parseFilters, parseOptions, runAnalytics } = await import('../../analytics/index.js');
        const k = assertKind(kind);
        if (opts.json && opts.csv)
          throw new ValidationError('choose one of --json and --csv', [
            { field: '--csv', problem: 'conflicts with --json' },
          ]);
        const filters = parseFilters(opts, '--');
        const options = parseOptions(opts, '--');
        const result = await withLab((lab) => runAnalytics(lab, k, filters, options));
        if (opts.csv) {
          const { toCsv } = await import('../../reports/csv.js');
          const { pickTable } = await import('../../reports/tables.js');
          process.stdout.write(toCsv(pickTable(k, result, opts.table).rows));
          return;
        }
        const human = opts.json ? '' : await renderHuman(k, result);
        output(result, opts, () => human);
      },
    );

  program
    .command('analyze')
    .description(
      'label the user turns of a dataset with a registered intent classifier (predicted intent + confidence)',
    )
    .requiredOption('--dataset <id>', 'dataset id')
    .option('--model <ref>', 'model alias or version (default: production)')
    .option('--relabel', 'predict again for turns that already have a prediction')
    .option('--batch-size <n>', 'turns per batch', '256')
    .option('--json', 'machine-readable output')
    .action(async (opts: { dataset: string; model?: string; relabel?: boolean; batchSize: string; json?: boolean }) => {
      const datasetId = Number(opts.dataset);
      if (!Number.isSafeInteger(datasetId) || datasetId < 1) {
        throw new ValidationError('--dataset must be a positive integer dataset id', [
          { field: '--dataset', problem: 'not a dataset id' },
        ]);
      }
      const batchSize = Number(opts.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 4096) {
        throw new ValidationError('--batch-size must be an integer between 1 and 4096', [
          { field: '--batch-size', problem: 'out of range' },
        ]);
      }
      const { labelTurns } = await import('../../analytics/label.js');
      const bar = await progressBar('labelling');
      const result = await withLab(async (lab) => {
        try {
          return await labelTurns(
            lab,
            { datasetId, model: opts.model, relabel: opts.relabel, batchSize },
            { onProgress: bar.update },
          );
        } finally {
          bar.stop();
        }
      });
      output(result, opts, (r) =>
        [
          `Labelled ${r.labelled} user turns of dataset ${r.dataset} with model version ${String(r.model_version)} (threshold ${r.threshold}).`,
          `${r.below_threshold} predictions are under the threshold; ${r.sentiment_filled} missing sentiment scores filled.`,
          `${r.predicted_total} user turns now carry a prediction. See: chatlab analytics fallback --dataset ${r.dataset}`,
        ].join('\n'),
      );
    });

  withFilterFlags(
    program
      .command('report')
      .description('write a PDF report of a dataset (analytics) or of a training run (metrics)')
      .option('--dataset <id>', 'dataset id')
      .option('--run <id>', 'training run id')
      .requiredOption('--out <file>', 'where to write the PDF'),
  )
    .option('--json', 'machine-readable output')
    .action(async (opts: FilterFlags & { run?: string; out: string; json?: boolean }) => {
      if ((opts.dataset === undefined) === (opts.run === undefined)) {
        throw new ValidationError('give exactly one of --dataset and --run', [
          { field: '--dataset', problem: 'exactly one of --dataset, --run' },
        ]);
      }
      const out = path.resolve(opts.out);
      const pdf = await withLab(async (lab) => {
        if (opts.run !== undefined) {
          const runId = Number(opts.run);
          if (!Number.isSafeInteger(runId) || runId < 1) {
            throw new ValidationError('--run must be a positive integer run id', [
              { field: '--run', problem: 'not a run id' },
            ]);
          }
          const { runReportPdf } = await import('../../reports/run-report.js');
          return runReportPdf(lab, runId);
        }
        const { parseFilters } = await import('../../analytics/index.js');
        const { datasetReportPdf } = await import('../../reports/dataset-report.js');
        return datasetReportPdf(lab, parseFilters(opts, '--'));
      });
      writeFileSync(out, pdf);
      output({ file: out, bytes: pdf.length }, opts, (r) => `Wrote ${r.file} (${r.bytes} bytes)`);
    });
}
