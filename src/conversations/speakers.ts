/** Canonical speakers: every log's user side is USER and the bot side SYSTEM, whatever it was called. */
const USER_NAMES = new Set(['user', 'customer', 'client', 'human']);
const SYSTEM_NAMES = new Set(['bot', 'system', 'agent', 'assistant']);

export function canonicalSpeaker(raw: string): string {
  const name = raw.trim();
  const lower = name.toLowerCase();
  if (USER_NAMES.has(lower)) return 'USER';
  if (SYSTEM_NAMES.has(lower)) return 'SYSTEM';
  return name.toUpperCase();
}

/**
 * Epoch milliseconds from ISO 8601 text or an epoch number (seconds below 1e11, else ms).
 * Returns undefined when the value is not a time, so the caller can name the row.
 */
export function parseTimestamp(value: unknown): number | null | undefined {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? epoch(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return epoch(Number(text));
  // Only ISO-8601-looking text: Date.parse accepts many local formats we don't want to guess at.
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return undefined;
  const ms = Date.parse(text.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

function epoch(n: number): number {
  return Math.round(Math.abs(n) < 1e11 ? n * 1000 : n);
}
