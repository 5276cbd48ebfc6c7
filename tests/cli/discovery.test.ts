import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openLab } from '../../src/lab/context.js';
import { seedCraftedLog } from '../discovery/fixtures.js';
import { runCli } from '../support/cli.js';
import { testSettings } from '../support/databases.js';

describe('chatlab discover', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'chatlab-cli-discover-'));
  let logId: number;
  let rawId: number;
  beforeAll(async () => {
    // The lab the binary will open (its defaults in `cwd`), a crafted log with stored predictions.
    const lab = await openLab(testSettings(cwd, { DATABASE_URL: `sqlite:${path.join(cwd, 'data', 'chatlab.db')}` }));
    logId = await seedCraftedLog(lab, cwd, true);
    rawId = await seedCraftedLog(lab, cwd, false);
    await lab.db.close();
  });
  const cli = (...args: string[]) => runCli(args, { cwd });

  it('clusters the fallback turns, then accepts, merges and dismisses clusters', () => {
    const human = cli('discover', '--dataset', String(logId), '--threshold', '0.5');
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/pool fallback \(threshold 0\.5\), 24 turns, 3 clusters/);
    expect(human.stdout).toContain('chatlab discover accept <cluster> --intent NAME');

    const json = cli('discover', '--dataset', String(logId), '--threshold', '0.5', '--json');
    expect(json.status, json.stderr).toBe(0);
    const run = JSON.parse(json.stdout);
    expect(run.clusters).toHaveLength(3);
    const [a, b, c] = run.clusters;

    const accepted = cli('discover', 'accept', String(a.id), '--intent', 'new_topic', '--json');
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(JSON.parse(accepted.stdout)).toMatchObject({ status: 'accepted', intent: 'new_topic', decided_by: 'cli' });
    const merged = cli('discover', 'merge', String(b.id), '--into', 'change_pin');
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stdout).toContain(`Cluster ${b.id} (${b.size} turns) merged as change_pin by cli.`);
    expect(cli('discover', 'dismiss', String(c.id)).status).toBe(0);
    const shown = JSON.parse(cli('discover', 'show', String(run.id), '--json').stdout);
    expect(shown.clusters.map((x: { status: string }) => x.status).sort()).toEqual(['accepted', 'dismissed', 'merged']);
  });

  it('bad input: one line on stderr, non-zero exit', () => {
    const noPredictions = cli('discover', '--dataset', String(rawId));
    expect(noPredictions.status).toBe(1);
    expect(noPredictions.stderr.trim()).toBe(
      `chatlab: dataset ${rawId} (log-false) has no predictions: run \`chatlab analyze --dataset ${rawId}\` first (or POST /analytics/label), then discover`,
    );
    for (const args of [
      ['discover'],
      ['discover', '--dataset', String(logId), '--pool', 'all'],
      ['discover', '--dataset', '77'],
      ['discover', 'accept', '1', '--intent', 'two words'],
      ['discover', 'accept', 'one', '--intent', 'x'],
      ['discover', 'merge', '999', '--into', 'change_pin'],
    ]) {
      const res = cli(...args);
      expect(res.status, args.join(' ')).not.toBe(0);
      expect(res.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(res.stderr).toMatch(/^chatlab: /);
    }
  });

  it('--help lists the actions', () => {
    const help = cli('discover', '--help');
    expect(help.status).toBe(0);
    for (const word of ['accept', 'merge', 'dismiss', '--pool', '--json']) expect(help.stdout).toContain(word);
  });
});
