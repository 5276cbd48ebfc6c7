import path from 'node:path';

/** `RUNS_DIR/<prefix>_<UTC timestamp>_run<id>`: one folder per run, sortable by time. */
export function runFolder(runsDir: string, prefix: string, runId: number): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return path.join(runsDir, `${prefix}_${stamp}_run${runId}`);
}
