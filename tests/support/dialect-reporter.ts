import type { Reporter, RunnerTestFile, RunnerTask } from 'vitest/node';

/** Prints how many tests ran per database dialect, so CI logs show PostgreSQL really ran. */
export default class DialectReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = []): void {
    const counts: Record<string, { passed: number; failed: number; skipped: number }> = {};
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const visit = (task: RunnerTask, trail: string) => {
      const name = `${trail} ${task.name}`;
      if (task.type === 'suite' || task.type === undefined) {
        for (const child of (task as { tasks?: RunnerTask[] }).tasks ?? []) visit(child, name);
        return;
      }
      const state = task.result?.state;
      const outcome = state === 'pass' ? 'passed' : state === 'fail' ? 'failed' : 'skipped';
      if (outcome === 'passed') passed++;
      else if (outcome === 'failed') failed++;
      else skipped++;
      for (const dialect of ['sqlite', 'postgres']) {
        if (name.includes(`[${dialect}]`)) {
          counts[dialect] ??= { passed: 0, failed: 0, skipped: 0 };
          counts[dialect][outcome]++;
        }
      }
    };
    for (const file of files) visit(file as unknown as RunnerTask, file.name);
    for (const [dialect, c] of Object.entries(counts)) {
      console.log(`${dialect} tests: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
    }
    console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
