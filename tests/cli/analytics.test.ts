import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { labelTurns } from '../../src/analytics/label.js';
import { openLab } from '../../src/lab/context.js';
import { ingestCraftedLog, stubPredictor } from '../analytics/fixtures.js';
import { runCli } from '../support/cli.js';
import { testSettings } from '../support/databases.js';

describe('chatlab analytics, analyze, report', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'chatlab-cli-analytics-'));
  let dataset: number;
  beforeAll(async () => {
    // The lab the binary will open (its defaults in `cwd`), filled through the domain functions.
    const lab = await openLab(testSettings(cwd, { DATABASE_URL: `sqlite:${path.join(cwd, 'data', 'chatlab.db')}` }));
    dataset = await ingestCraftedLog(lab, cwd);
    await labelTurns(lab, { datasetId: dataset }, { predictor: stubPredictor });
    await lab.db.close();
  });
  const cli = (...args: string[]) => runCli(args, { cwd });

  it('prints each analytics kind as JSON, tables, or CSV', () => {
    const json = cli('analytics', 'fallback', '--dataset', String(dataset), '--threshold', '0.35', '--json');
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ turns: 10, fallback: 4, share: 0.4 });
    const human = cli('analytics', 'flows', '--dataset', String(dataset));
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toContain('links:');
    expect(human.stdout).toMatch(/thanks\s+transfer\s+1/);
    const csv = cli(
      'analytics',
      'intents',
      '--dataset',
      String(dataset),
      '--granularity',
      'month',
      '--csv',
      '--table',
      'series',
    );
    expect(csv.status, csv.stderr).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as Array<{ period: string; intent: string; count: string }>;
    expect(rows.filter((r) => r.period.startsWith('2025-01')).reduce((s, r) => s + Number(r.count), 0)).toBe(6);
  });

  it('rebuild recomputes the rollups from the raw turns', async () => {
    // Rollups gone stale (as after copying turns in by hand): the answer drops, rebuild restores it.
    const lab = await openLab(testSettings(cwd, { DATABASE_URL: `sqlite:${path.join(cwd, 'data', 'chatlab.db')}` }));
    await lab.db.kysely.deleteFrom('turn_rollups_daily').execute();
    await lab.db.close();
    const intents = () => JSON.parse(cli('analytics', 'intents', '--dataset', String(dataset), '--json').stdout);
    expect(intents().total).toBe(0);
    const res = cli('analytics', 'rebuild', '--dataset', String(dataset), '--json');
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ datasets: [{ id: dataset, turns: 14 }], turns: 14 });
    expect(intents().total).toBe(10);
    const missing = cli('analytics', 'rebuild', '--dataset', '999');
    expect(missing.status).not.toBe(0);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('bad input: one line on stderr, non-zero exit', () => {
    for (const args of [
      ['analytics', 'moods', '--dataset', '1'],
      ['analytics', 'intents', '--granularity', 'year'],
      ['analytics', 'intents', '--dataset', '99'],
      ['report', '--out', 'x.pdf'],
    ]) {
      const res = cli(...args);
      expect(res.status, args.join(' ')).toBe(1);
      expect(res.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(res.stderr).toMatch(/^chatlab: /);
    }
    expect(cli('analytics', 'intents', '--granularity', 'year').stderr).toContain(
      '--granularity must be one of hour, day, week, month',
    );
  });

  it('analyze without a registered model says so in one line', () => {
    const res = cli('analyze', '--dataset', String(dataset), '--model', 'no-such-model');
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('writes a dataset PDF report', () => {
    const out = path.join(cwd, 'report.pdf');
    const res = cli('report', '--dataset', String(dataset), '--out', out, '--granularity', 'week');
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('Wrote');
    expect(existsSync(out)).toBe(true);
    const text = execFileSync('pdftotext', ['-raw', out, '-'], { encoding: 'utf8' });
    expect(text).toContain('Dataset report: crafted');
    expect(text).toContain('week');
  });
});
