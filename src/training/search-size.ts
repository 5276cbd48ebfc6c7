/**
 * How many trials a hyper-parameter search asks for, counted before anything is built: a grid is
 * the product of its value counts (10 parameters of 10 values is 10^10 combinations, refused at
 * once instead of after allocating them), a random search is its `trials`. Both stay within
 * MAX_SEARCH_TRIALS.
 */
import { ValidationError, type ErrorDetail } from '../core/errors.js';

/** Combinations of a grid: the product of the value counts (a non-list entry counts once). */
export function gridSize(space: Record<string, unknown>): number {
  let size = 1;
  for (const entry of Object.values(space)) size *= Array.isArray(entry) ? entry.length : 1;
  return size;
}

export function checkSearchSize(space: unknown, strategy: string, trials: number | undefined, maxTrials: number): void {
  const details: ErrorDetail[] = [];
  if (trials !== undefined && (!Number.isInteger(trials) || trials < 1 || trials > maxTrials)) {
    details.push({ field: 'trials', problem: `must be an integer between 1 and ${maxTrials} (MAX_SEARCH_TRIALS)` });
  }
  if (strategy === 'grid' && space !== null && typeof space === 'object' && !Array.isArray(space)) {
    const size = gridSize(space as Record<string, unknown>);
    if (size > maxTrials) {
      const shown = Number.isSafeInteger(size) ? String(size) : `more than ${Number.MAX_SAFE_INTEGER}`;
      details.push({
        field: 'space',
        problem: `the grid has ${shown} combinations (the product of the value counts); at most ${maxTrials} (MAX_SEARCH_TRIALS)`,
      });
    }
  }
  if (details.length > 0) {
    throw new ValidationError(details.map((d) => `${d.field} ${d.problem}`).join('; '), details);
  }
}
