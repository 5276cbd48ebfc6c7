import { num } from './shapes.js';
import type { Run } from './types.js';
import { dict } from './dict.js';

/** A run's numeric metrics (the nested out-of-scope block and other non-numbers left out). */
export function runMetrics(run: Pick<Run, 'metrics'>): Record<string, number> {
  const out = dict<number>();
  for (const [key, value] of Object.entries(run.metrics ?? {})) {
    const n = num(value);
    if (n !== undefined) out[key] = n;
  }
  return out;
}

/** Tags as `key=value` chips (`key` alone when the value is empty). */
export function runTags(run: Pick<Run, 'tags'>): string[] {
  return Object.entries(run.tags).map(([k, v]) => (v === '' ? k : `${k}=${v}`));
}

export function accuracyOf(run: Pick<Run, 'metrics'>): number | undefined {
  return num(run.metrics?.accuracy);
}

export function macroF1Of(run: Pick<Run, 'metrics'>): number | undefined {
  return num(run.metrics?.macro_f1);
}
