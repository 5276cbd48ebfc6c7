import { ValidationError } from '../../core/errors.js';

const WINDOW_PATTERN = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `15m`, `1h`, `24h`, `7d` → milliseconds (at most 90 days); a 400 naming the field otherwise. */
export function parseWindow(text: string, field = 'window'): number {
  const match = WINDOW_PATTERN.exec(text.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : NaN;
  if (!match || !(ms > 0) || ms > 90 * UNIT_MS.d) {
    throw new ValidationError(`${field} must be a duration such as 1h, 24h or 7d (got ${JSON.stringify(text)})`, [
      { field, problem: 'must be a duration: a number followed by m, h or d, at most 90d' },
    ]);
  }
  return ms;
}
