import type { Command } from 'commander';
import { intOption as intRange } from '../options.js';
import { output, table, withLab } from '../output.js';
import { intOption, pct, runSummary } from './run-output.js';

/** The runs group: list, show, compare, cancel. Thin doors into src/experiments. */

export function registerRuns(program: Command): void {
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
}
