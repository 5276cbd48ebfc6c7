import { loadSettings, SettingsError, type Settings } from '../config/settings.js';
import { openLab, type LabContext } from '../lab/context.js';

export interface OutputOptions {
  json?: boolean;
}

/** Prints `data` as JSON with --json, otherwise the human rendering. */
export function output<T>(data: T, options: OutputOptions, human: (data: T) => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(data, null, 2)}\n` : `${human(data)}\n`);
}

/** A plain left-aligned table for terminals. */
export function table(rows: Array<Record<string, unknown>>, columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const cols = columns ?? Object.keys(rows[0]!);
  const cell = (v: unknown) =>
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(cols),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join('\n');
}

/** Settings for a command; a bad setting ends the program with exit code 2 (see main.ts). */
export function settingsFromEnvironment(): Settings {
  return loadSettings();
}

/** Runs `fn` with an open lab and always closes the database afterwards. */
export async function withLab<T>(
  fn: (lab: LabContext) => Promise<T>,
  settings = settingsFromEnvironment(),
): Promise<T> {
  const lab = await openLab(settings);
  try {
    return await fn(lab);
  } finally {
    await lab.db.close();
  }
}

export { SettingsError };
