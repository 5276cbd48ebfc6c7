import { InvalidArgumentError, type Command } from 'commander';
import { ValidationError } from '../../core/errors.js';
import { parseWindow } from '../../monitoring/model/window.js';
import { output, table, withLab } from '../output.js';

/** Checked while parsing, so a bad duration is a usage error (exit 2) like any bad option. */
function windowArg(value: string): string {
  try {
    parseWindow(value, '--window');
  } catch (err) {
    if (err instanceof ValidationError) throw new InvalidArgumentError(err.message);
    throw err;
  }
  return value;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);
const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '–' : x.toFixed(digits));

/** `chatlab monitor model`: the model's drift and confidence signals over a window. */
export function registerMonitor(program: Command): void {
  const monitor = program
    .command('monitor')
    .description('watch the served model: drift, confidence and fallback signals');

  monitor
    .command('model')
    .description(
      'drift and confidence signals of a model version over a window of logged predictions, against its baseline',
    )
    .option('--version <v>', 'version number, name:version or alias (default: production, else the newest logged)')
    .option('--window <duration>', 'how far back: 1h, 24h, 7d (any Nm, Nh, Nd up to 90d)', windowArg, '24h')
    .option('--json', 'print JSON')
    .action(async (options: { version?: string; window: string; json?: boolean }) => {
      const { modelMonitoringView } = await import('../../monitoring/model/view.js');
      const view = await withLab((lab) =>
        modelMonitoringView(lab, { version: options.version, window: options.window }),
      );
      output(view, options, (v) => {
        const s = v.signals;
        const rows = [
          {
            signal: 'intent drift',
            value: `JS ${num(s.intent_drift.js_distance)} · PSI ${num(s.intent_drift.psi)}`,
            baseline: '',
            warn: `JS > ${s.intent_drift.warn.js_distance} or PSI > ${s.intent_drift.warn.psi}`,
            status: s.intent_drift.status,
          },
          {
            signal: 'confidence',
            value: `mean ${num(s.confidence.mean)} · KS ${num(s.confidence.ks_statistic)}`,
            baseline: `mean ${num(s.confidence.baseline_mean)}`,
            warn: `KS > ${s.confidence.warn.ks_statistic} or mean drop > ${s.confidence.warn.mean_drop}`,
            status: s.confidence.status,
          },
          {
            signal: 'fallback rate',
            value: pct(s.fallback_rate.value),
            baseline: pct(s.fallback_rate.baseline),
            warn: `> ${pct(s.fallback_rate.warn_above)}`,
            status: s.fallback_rate.status,
          },
          {
            signal: 'text length',
            value: `mean ${num(s.text_length.mean, 1)} · PSI ${num(s.text_length.psi)}`,
            baseline: `mean ${num(s.text_length.baseline_mean, 1)}`,
            warn: `PSI > ${s.text_length.warn.psi}`,
            status: s.text_length.status,
          },
          {
            signal: 'out of vocabulary',
            value: pct(s.oov_rate.value),
            baseline: pct(s.oov_rate.baseline),
            warn: `> ${pct(s.oov_rate.warn_above)}`,
            status: s.oov_rate.status,
          },
          {
            signal: 'embedding drift',
            value: `MMD² ${num(s.embedding_drift.mmd2, 4)}`,
            baseline: '',
            warn: `> ${s.embedding_drift.warn}`,
            status: s.embedding_drift.status,
          },
        ];
        const moved = s.intent_drift.top_moved
          .map((m) => `${m.intent} ${pct(m.baseline_share)} → ${pct(m.window_share)}`)
          .join(', ');
        return [
          `model ${v.model.name} v${v.model.version} (${v.model.model_type}${v.model.aliases.length ? `, ${v.model.aliases.join(', ')}` : ''})`,
          `window ${v.window_name}: ${v.window.from} → ${v.window.to}, ${v.predictions} predictions (minimum ${v.min_predictions} for the intent distribution)`,
          `status: ${v.status.replace(/_/g, ' ')}`,
          '',
          table(rows),
          ...(moved ? ['', `top moved intents: ${moved}`] : []),
        ].join('\n');
      });
    });
}
