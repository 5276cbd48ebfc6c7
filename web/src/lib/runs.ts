import { parseMaybeJson } from './format';
import { num } from './shapes';
import type { Run } from './types';
import { dict } from './dict';

/** A run's headline metrics, wherever the API put them. */
export function runMetrics(run: Run): Record<string, number> {
  const source = { ...parseMaybeJson<Record<string, unknown>>(run.summary_metrics, {}), ...(run.metrics ?? {}) };
  const out = dict<number>();
  for (const [key, value] of Object.entries(source)) {
    const n = num(value);
    if (n !== undefined) out[key] = n;
  }
  return out;
}

export function runTags(run: Run): string[] {
  const tags = parseMaybeJson<unknown>(run.tags, []);
  if (Array.isArray(tags)) return tags.map(String);
  if (tags && typeof tags === 'object')
    return Object.entries(tags).map(([k, v]) => (v === '' || v === true ? k : `${k}=${v}`));
  return [];
}

export function accuracyOf(run: Run): number | undefined {
  const m = runMetrics(run);
  return m.accuracy ?? m.test_accuracy;
}

export function macroF1Of(run: Run): number | undefined {
  const m = runMetrics(run);
  return m.macro_f1 ?? m['macro-f1'] ?? m.f1_macro;
}
