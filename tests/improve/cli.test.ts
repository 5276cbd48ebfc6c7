import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openLab } from '../../src/lab/context.js';
import { recordDecisions } from '../../src/review/index.js';
import { trainModel } from '../../src/training/pipeline.js';
import { runCli } from '../support/cli.js';
import { testSettings } from '../support/databases.js';
import { NEW_INTENT, seedLog, seedTrainingDataset, type LoopFixture } from './fixtures.js';

describe('chatlab datasets derive, promote-check, improve', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'chatlab-cli-improve-'));
  let fx: LoopFixture;
  beforeAll(async () => {
    const lab = Object.assign(
      await openLab(testSettings(cwd, { DATABASE_URL: `sqlite:${path.join(cwd, 'data', 'chatlab.db')}` })),
      { dir: cwd },
    );
    const training = await seedTrainingDataset(lab);
    await trainModel(lab, { datasetId: training, modelType: 'tfidf-linear', alias: 'production' });
    fx = await seedLog(lab, training);
    await recordDecisions(
      lab,
      fx.newIntentTexts.map((t) => ({
        turn_id: fx.turns.get(t)!,
        decision: 'new_intent' as const,
        intent: NEW_INTENT,
      })),
      { reviewer: 'cli' },
    );
    await lab.db.close();
  }, 120_000);
  const cli = (...args: string[]) => runCli(args, { cwd });

  it('improve: derive -> train -> promote-check, printing each step, and --apply promotes', () => {
    const out = cli(
      'improve',
      '--dataset',
      'banking77-subset',
      '--reviews',
      'support-log',
      '--model',
      'tfidf-linear',
      '--apply',
    );
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/1\/3 derive/);
    expect(out.stdout).toMatch(/Created banking77-subset version 2/);
    expect(out.stdout).toMatch(new RegExp(`${NEW_INTENT}: \\+\\d+ \\(new intent\\)`));
    expect(out.stdout).toMatch(/2\/3 train/);
    expect(out.stdout).toMatch(/Run \d+: succeeded, model version 2/);
    expect(out.stdout).toMatch(/3\/3 promote-check against production/);
    expect(out.stdout).toMatch(/Verdict: PROMOTE/);
    expect(out.stdout).toMatch(/production now points at version 2/);

    const models = JSON.parse(cli('models', 'list', '--json').stdout) as Array<{ version: number; aliases: string[] }>;
    expect(models.find((m) => m.version === 2)!.aliases).toContain('production');

    const versions = cli('datasets', 'versions', 'banking77-subset', '--json');
    expect(JSON.parse(versions.stdout).versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    const diff = cli('datasets', 'diff', 'banking77-subset');
    expect(diff.status, diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/banking77-subset@2 against banking77-subset@1: \+\d+ \/ -0 examples/);

    // The old model against the new production: a regression, and --apply leaves the alias alone.
    const back = cli('promote-check', '--candidate', '1', '--dataset', 'banking77-subset@2', '--apply', '--json');
    expect(back.status, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ verdict: 'regressed', applied: false });
  }, 180_000);

  it('derive: same derivation again, bad input', () => {
    const again = cli('datasets', 'derive', '--from', 'banking77-subset@1', '--reviews', 'support-log', '--json');
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, dataset: { version: 2 } });
    const fromLog = cli('datasets', 'derive', '--from', 'support-log', '--reviews', 'support-log');
    expect(fromLog.status).toBe(1);
    expect(fromLog.stderr).toMatch(
      /^chatlab: dataset \d+ \(support-log\) is a conversation log, not a training dataset/,
    );
    const badHoldout = cli(
      'datasets',
      'derive',
      '--from',
      'banking77-subset',
      '--reviews',
      'support-log',
      '--holdout',
      '2',
    );
    expect(badHoldout.status).toBe(1);
    expect(badHoldout.stderr.trim()).toBe('chatlab: --holdout must be a number from 0 to below 1 (got "2")');
    const noRun = cli('promote-check', '--candidate', 'run:999');
    expect(noRun.status).toBe(1);
    expect(noRun.stderr.trim()).toMatch(/^chatlab: run 999/);
  });
});
