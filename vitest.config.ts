import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    pool: 'forks',
    // Vitest's default (cores - 1) runs one file at a time on a 2-core machine, yet most files
    // spend their time waiting on a child process, Chromium or the database: two at once take
    // the suite from 925 s to 660 s there.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './tests/support/dialect-reporter.ts'],
  },
});
