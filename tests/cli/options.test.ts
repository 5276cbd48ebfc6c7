import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

/** CLI options are validated like the API's parameters: a one-line usage error, exit 2, nothing run. */
describe('CLI option values', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'chatlab-cli-options-'));
  const cases: Array<[string[], RegExp]> = [
    [
      ['datasets', 'examples', '1', '--limit', 'abc'],
      /--limit <n>' argument 'abc' is invalid\. must be an integer between 1 and 1000/,
    ],
    [['datasets', 'examples', '1', '--limit', '0'], /--limit <n>' argument '0' is invalid/],
    [['conversations', 'list', '--limit', '5000'], /--limit <n>' argument '5000' is invalid/],
    [
      ['conversations', 'list', '--dataset', 'abc'],
      /--dataset <id>' argument 'abc' is invalid\. must be a positive integer id/,
    ],
    [['runs', 'list', '--limit', '0'], /--limit <n>' argument '0' is invalid\. must be an integer between 1 and 500/],
    [['predict', '--top-k', '0', 'hello'], /--top-k <n>' argument '0' is invalid/],
    [
      ['train', '--dataset', '1', '--model', 'tfidf-linear', '--epochs', 'abc'],
      /--epochs <n>' argument 'abc' is invalid\. must be a number/,
    ],
    [['train', '--dataset', '1', '--model', 'tfidf-linear', '--seed', '-1'], /--seed <n>' argument '-1' is invalid/],
    [
      ['tune', '--dataset', '1', '--model', 'tfidf-linear', '--grid', 'a=1', '--trials', '1.5'],
      /--trials <n>' argument '1\.5' is invalid/,
    ],
    [
      ['crossval', '--dataset', '1', '--model', 'tfidf-linear', '--folds', '1'],
      /--folds <k>' argument '1' is invalid\. must be an integer between 2 and 20/,
    ],
  ];
  it.each(cases)('chatlab %j', (args, problem) => {
    const res = runCli(args, { cwd });
    expect(res.status, res.stderr).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(problem);
  });
});
