import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatlabBin } from '../support/cli.js';
import { createTestLab, type TestLab } from '../support/databases.js';
import { seedBanking77 } from '../training/support.js';

// A thin door over evaluateOpenIntent (tests/training/open-intent.test.ts runs it on both
// dialects); spawning the binary is slow, so this file runs on SQLite only.
describe('evaluate-open CLI [sqlite]', () => {
  let lab: TestLab;
  let datasetId: number;

  beforeAll(async () => {
    lab = await createTestLab('sqlite');
    datasetId = await seedBanking77(lab, { trainPerIntent: 30, testPerIntent: 10 });
  });
  afterAll(async () => lab?.cleanup());

  const cli = (...args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [chatlabBin, ...args],
        {
          cwd: lab.dir,
          env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: lab.settings.databaseUrl },
          timeout: 120_000,
        },
        (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('prints the open-intent table and the same figures as JSON', async () => {
    const args = ['evaluate-open', '--dataset', String(datasetId), '--known-ratio', '0.5', '--seeds', '2'];
    // Two processes: spawned together.
    const [human, json] = await Promise.all([cli(...args), cli(...args, '--json')]);
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/50 % of intents known, seeds 0, 1/);
    expect(human.stdout).toMatch(/accuracy \(known \+ open\)\s+\d+\.\d\d ± \d+\.\d\d/);
    expect(human.stdout).toMatch(/out-of-scope recall/);
    expect(human.stdout).toMatch(/knn_cosine/);

    expect(json.status, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.per_seed).toHaveLength(2);
    expect(report.per_seed[0].known_intents).toHaveLength(5);
    // Same seeds, same data: the same figures as the table.
    expect(human.stdout).toContain(`${(report.summary.accuracy.mean * 100).toFixed(2)} ± `);
  });

  it('refuses a bad ratio, a bad seed count and an unknown dataset with one line', async () => {
    // Independent one-liners: spawned together.
    const [one, abc, seeds, unknown] = await Promise.all([
      cli('evaluate-open', '--dataset', String(datasetId), '--known-ratio', '1'),
      cli('evaluate-open', '--dataset', String(datasetId), '--known-ratio', 'abc'),
      cli('evaluate-open', '--dataset', String(datasetId), '--seeds', '0'),
      cli('evaluate-open', '--dataset', 'no-such-data'),
    ]);
    for (const r of [one, abc]) {
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--known-ratio.*must be a number between 0 and 1/);
    }
    expect(seeds.status).toBe(2);
    expect(seeds.stderr).toMatch(/--seeds.*between 1 and 20/);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/^chatlab: .*no-such-data/);
  });
});
