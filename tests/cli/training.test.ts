import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { chatlabBin } from '../support/cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestLab, type TestLab } from '../support/databases.js';
import { seedBanking77 } from '../training/support.js';

// The CLI is a thin door over the same domain functions the API tests run on both dialects;
// spawning the binary is slow, so this file runs on SQLite only.
describe('training CLI [sqlite]', () => {
  const dialect = 'sqlite' as const;
  let lab: TestLab;
  let env: Record<string, string>;
  let datasetId: number;

  beforeAll(async () => {
    lab = await createTestLab(dialect);
    datasetId = await seedBanking77(lab);
    env = { DATABASE_URL: lab.settings.databaseUrl };
  });
  afterAll(async () => lab?.cleanup());

  // Asynchronous spawns: a synchronous one blocks the test worker's event loop for the whole
  // command, and a run of them starves vitest's own RPC.
  const cli = (...args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [chatlabBin, ...args],
        { cwd: lab.dir, env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 120_000 },
        (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const json = async (...args: string[]) => {
    const r = await cli(...args, '--json');
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('trains, lists, promotes, predicts, evaluates, compares and demotes', async () => {
    const first = await json('train', '--dataset', String(datasetId), '--model', 'tfidf-linear', '--seed', '3');
    expect(first).toMatchObject({ status: 'succeeded', model_version: 1 });
    const second = await json(
      'train',
      '--dataset',
      'banking77-subset',
      '--model',
      'tfidf-linear',
      '--epochs',
      '2',
      '--lr',
      '0.001',
    );
    expect(second.model_version).toBe(2);
    expect(second.params).toMatchObject({ num_epochs: 2, learning_rate: 0.001 });
    expect(JSON.parse(readFileSync(`${first.run_dir}/metrics.json`, 'utf8')).accuracy).toBe(first.metrics.accuracy);

    expect((await json('runs', 'list')).map((r: { id: number }) => r.id)).toEqual([second.id, first.id]);
    expect((await json('runs', 'show', String(first.id))).artifacts.length).toBeGreaterThan(5);

    const human = await cli('predict', 'hello');
    expect(human.status).toBe(1);
    expect(human.stderr.trim().split('\n')).toHaveLength(1);
    expect(human.stderr).toMatch(/^chatlab: model "production" was not found/);

    expect((await json('models', 'promote', '1', '--alias', 'production')).aliases).toEqual(['production']);
    const pred = await json('predict', 'I need a new PIN', 'when will my card arrive');
    expect(pred.model.version).toBe(1);
    expect(pred.predictions.map((p: { intent: string }) => p.intent)).toEqual(['change_pin', 'card_arrival']);

    const evaluation = await json('evaluate', '--model', 'production', '--dataset', String(datasetId));
    expect(evaluation.metrics.accuracy).toBeCloseTo(first.metrics.accuracy, 10);

    const comparison = await json('runs', 'compare', String(first.id), String(second.id));
    expect(comparison.comparisons[0].mcnemar.shared_examples).toBe(200);
    const readable = await cli('runs', 'compare', String(first.id), String(second.id));
    expect(readable.stdout).toMatch(/vs baseline run/);

    const models = await json('models', 'list');
    expect(models.map((m: { version: number; aliases: string[] }) => [m.version, m.aliases])).toEqual([
      [2, []],
      [1, ['production']],
    ]);
    expect((await json('models', 'demote', '1', '--alias', 'production')).aliases).toEqual([]);
  });

  it('fails with one line and a non-zero exit on bad input', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['train', '--dataset', '999', '--model', 'tfidf-linear'], /dataset "999" was not found/],
      [['train', '--dataset', String(datasetId), '--model', 'bogus'], /unknown model type "bogus"/],
      [
        ['train', '--dataset', String(datasetId), '--model', 'tfidf-linear', '--epochs', '0'],
        /num_epochs must be >= 1/,
      ],
      [['train', '--dataset', String(datasetId), '--model', 'tfidf-linear', '--param', 'oops'], /use name=value/],
      [
        ['train', '--dataset', String(datasetId), '--model', 'tfidf-linear', '--oos-objective', 'recall@2'],
        /oos_objective must be accuracy, balanced or recall@/,
      ],
      [['predict', '--model', '1', '   '], /empty/],
      [['runs', 'show', 'abc'], /positive run id/],
      [['runs', 'compare', '1'], /at least two run ids/],
      [['models', 'promote', '77'], /model "77" was not found/],
      [['tune', '--dataset', String(datasetId), '--model', 'tfidf-linear', '--space', '{bad'], /--space must be JSON/],
      // Out-of-range option values (--folds 1) are usage errors, exit 2: tests/cli/options.test.ts.
    ];
    // Independent read-mostly commands: run them side by side.
    const results = await Promise.all(cases.map(([args]) => cli(...args)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = results[i]!;
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(await json('runs', 'list', '--status', 'running')).toEqual([]);
  });

  it('cross-validates and adds likely label errors to the dataset validation report', async () => {
    const mislabelled = await seedBanking77(lab, {
      name: 'with-label-noise',
      trainPerIntent: 30,
      testPerIntent: 5,
      extraTrain: [
        { text: 'I want to change my PIN number', label: 'age_limit' },
        { text: 'how do I change my pin', label: 'age_limit' },
      ],
    });
    const run = await json(
      'crossval',
      '--dataset',
      String(mislabelled),
      '--model',
      'tfidf-linear',
      '--folds',
      '3',
      '--param',
      'num_epochs=8',
    );
    expect(run.status).toBe('succeeded');
    expect(run.metrics.folds).toBe(3);
    expect(run.metrics.accuracy_mean).toBeGreaterThan(0.5);
    expect(run.metrics.accuracy_std).toBeGreaterThanOrEqual(0);
    const row = await lab.db.kysely
      .selectFrom('datasets')
      .select('validation')
      .where('id', '=', mislabelled)
      .executeTakeFirstOrThrow();
    const report = JSON.parse(row.validation!);
    const finding = report.training_findings.find((f: { id: string }) => f.id === 'likely_label_errors');
    expect(finding.count).toBe(run.metrics.likely_label_errors);
    const flagged = finding.examples.map((e: { text: string; suggested: string }) => [e.text, e.suggested]);
    expect(flagged).toContainEqual(['I want to change my PIN number', 'change_pin']);
    expect(flagged).toContainEqual(['how do I change my pin', 'change_pin']);
  });

  it('tunes with a grid and reports the leaderboard', async () => {
    const run = await json(
      'tune',
      '--dataset',
      String(datasetId),
      '--model',
      'tfidf-linear',
      '--grid',
      'num_epochs=2,6',
    );
    expect(run.metrics.leaderboard).toHaveLength(2);
    expect(run.metrics.best_params).toEqual(run.metrics.leaderboard[0].params);
  });
});
