import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openLab } from '../../src/lab/context.js';
import { runCli } from '../support/cli.js';
import { testSettings } from '../support/databases.js';
import { ingestReviewLog } from './fixtures.js';

describe('chatlab review', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'chatlab-cli-review-'));
  let dataset: number;
  const ids = new Map<string, number>();
  beforeAll(async () => {
    const lab = await openLab(testSettings(cwd, { DATABASE_URL: `sqlite:${path.join(cwd, 'data', 'chatlab.db')}` }));
    const log = await ingestReviewLog(lab, cwd);
    dataset = log.dataset;
    for (const t of ['where is my card', 'I lost my card', 'transfer 50 to savings']) ids.set(t, await log.turn(t));
    await lab.db.close();
  });
  const cli = (...args: string[]) => runCli(args, { cwd });

  it('queue, decide, history and stats', () => {
    const queue = cli('review', 'queue', '--dataset', String(dataset), '--strategy', 'uncertainty', '--json');
    expect(queue.status, queue.stderr).toBe(0);
    expect(JSON.parse(queue.stdout).items[0]).toMatchObject({ text: 'where is my card', group_size: 2 });
    const human = cli('review', 'queue', '--dataset', 'review-log', '--strategy', 'fallback');
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/strategy fallback: 3 group\(s\), 5 undecided turn\(s\)/);

    const decide = cli('review', 'decide', String(ids.get('where is my card')), '--accept', '--json');
    expect(decide.status, decide.stderr).toBe(0);
    expect(JSON.parse(decide.stdout).decisions.map((d: { reviewer: string }) => d.reviewer)).toEqual(['cli', 'cli']);
    expect(cli('review', 'decide', String(ids.get('I lost my card')), '--intent', 'lost_card').stdout).toMatch(
      /correct lost_card/,
    );
    expect(cli('review', 'decide', String(ids.get('I lost my card')), '--oos').status).toBe(0);
    const history = cli('review', 'history', String(ids.get('I lost my card')), '--json');
    expect(JSON.parse(history.stdout).decisions.map((d: { decision: string }) => d.decision)).toEqual([
      'correct',
      'oos',
    ]);
    const only = cli(
      'review',
      'decide',
      String(ids.get('transfer 50 to savings')),
      '--new-intent',
      'savings',
      '--only-this',
      '--json',
    );
    expect(JSON.parse(only.stdout).decisions).toHaveLength(1);

    const stats = cli('review', 'stats', '--dataset', String(dataset));
    expect(stats.status, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/4 reviewed, 0 skipped, 3 pending of 7/);
    expect(stats.stdout).toMatch(/accuracy on reviewed turns: 50\.0 % \(2\/4\)/);
  });

  it('bad input: one line, non-zero exit', () => {
    const none = cli('review', 'decide', String(ids.get('I lost my card')));
    expect(none.status).toBe(1);
    expect(none.stderr.trim()).toBe('chatlab: give exactly one of --accept, --intent X, --new-intent X, --oos, --skip');
    const unknown = cli('review', 'decide', '424242', '--accept');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim()).toBe('chatlab: turn 424242 was not found');
    const bad = cli('review', 'decide', String(ids.get('I lost my card')), '--new-intent', 'no spaces please');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^chatlab: intent name "no spaces please" is not valid/);
  });
});
