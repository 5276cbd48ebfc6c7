import { AppError, ValidationError } from '../../core/errors.js';
import type { RunView } from '../../experiments/runs.js';
import { output, table } from '../output.js';
import { dict } from '../../core/dict.js';
import { describeModelTypes, MODEL_TYPES } from '../../nlp/registry.js';

/** What the training, runs and models commands share: option parsing, run summaries, progress bars. */

export function collect(value: string, previous: string[] = []): string[] {
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

export function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n))
    throw new ValidationError(`${name} must be an integer (got "${value}")`, [
      { field: name, problem: 'must be an integer' },
    ]);
  return n;
}

export const pct = (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(2)} %` : '-');

export function runSummary(run: RunView): string {
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

export async function printQueued(q: { run_id: number; job_id: number }, json?: boolean) {
  output(
    { ...q, status: 'queued' },
    { json },
    () =>
      `Run ${q.run_id} queued (job ${q.job_id}); a running \`chatlab serve\` executes it. Follow with: chatlab runs show ${q.run_id}`,
  );
}

/** `--model <type>` help: the registry's model types. */
export const MODEL_TYPE_HELP = MODEL_TYPES.join(' | ');

/** Help after the options of the commands that train: each model type and its parameters. */
export function modelTypesHelp(): string {
  const lines = ['', 'Model types (--model) and their parameters (--param name=value):'];
  for (const t of describeModelTypes()) {
    lines.push(`  ${t.type}: ${t.description}`);
    lines.push(
      `    ${Object.entries(t.paramSpec)
        .map(([name, s]) => `${name}=${String(s.default)}`)
        .join(', ')}`,
    );
  }
  return lines.join('\n');
}
