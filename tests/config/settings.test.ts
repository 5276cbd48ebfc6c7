import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSettings, loadSettings, SettingsError } from '../../src/config/settings.js';

function tempDir(config?: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'chatlab-settings-'));
  if (config !== undefined) {
    writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  }
  return dir;
}

function errorOf(fn: () => unknown): SettingsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return err as SettingsError;
  }
  throw new Error('expected a SettingsError');
}

describe('settings', () => {
  it('has documented defaults resolved against the working directory', () => {
    const dir = tempDir();
    const s = loadSettings({ cwd: dir, env: {} });
    expect(s.port).toBe(8000);
    expect(s.host).toBe('127.0.0.1');
    expect(s.dialect).toBe('sqlite');
    expect(s.databaseUrl).toBe(`sqlite:${path.join(dir, 'data', 'chatlab.db')}`);
    expect(s.datasetDir).toBe(path.join(dir, 'Dataset'));
    expect(s.modelDir).toBe(path.join(dir, 'models'));
    expect(s.runsDir).toBe(path.join(dir, 'pipeline_runs'));
    expect(s.logDir).toBe(path.join(dir, 'logs'));
    expect(s.alertChannels).toEqual(['log']);
    expect(s.auth).toBe('off');
  });

  it('config.json overrides defaults and the environment overrides config.json', () => {
    const dir = tempDir({ PORT: 9000, LOG_LEVEL: 'debug', MODEL_DIR: 'm1' });
    const fileOnly = loadSettings({ cwd: dir, env: {} });
    expect(fileOnly.port).toBe(9000);
    expect(fileOnly.logLevel).toBe('debug');
    expect(fileOnly.modelDir).toBe(path.join(dir, 'm1'));
    const withEnv = loadSettings({ cwd: dir, env: { PORT: '9100', MODEL_DIR: '/abs/models' } });
    expect(withEnv.port).toBe(9100);
    expect(withEnv.logLevel).toBe('debug');
    expect(withEnv.modelDir).toBe('/abs/models');
  });

  it('selects PostgreSQL from a postgres:// URL and masks its password when shown', () => {
    const s = loadSettings({ cwd: tempDir(), env: { DATABASE_URL: 'postgres://lab:s3cret@db:5432/lab' } });
    expect(s.dialect).toBe('postgres');
    expect(describeSettings(s).DATABASE_URL).toBe('postgres://lab:****@db:5432/lab');
    expect(JSON.stringify(describeSettings(s))).not.toContain('s3cret');
  });

  it('requires auth by default on a non-loopback host', () => {
    expect(loadSettings({ cwd: tempDir(), env: { HOST: '0.0.0.0' } }).auth).toBe('required');
    expect(loadSettings({ cwd: tempDir(), env: { HOST: '0.0.0.0', CHATLAB_AUTH: 'off' } }).auth).toBe('off');
  });

  it('accepts a bare DATABASE_URL only when it looks like a path', () => {
    for (const url of ['./lab.db', 'lab.db', 'data/lab', '/tmp/chatlab-x/lab.sqlite', 'sqlite::memory:']) {
      expect(loadSettings({ cwd: tempDir(), env: { DATABASE_URL: url } }).dialect).toBe('sqlite');
    }
  });

  it('refuses an unusable folder setting at start-up, naming the key', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'afile'), 'x');
    for (const key of [
      'DATA_DIR',
      'MODEL_DIR',
      'RUNS_DIR',
      'LOG_DIR',
      'BACKUP_DIR',
      'DATASET_DIR',
      'MODEL_CACHE_DIR',
    ]) {
      const asFile = errorOf(() => loadSettings({ cwd: dir, env: { [key]: 'afile' } }));
      expect([asFile.key, asFile.problem]).toEqual([
        key,
        expect.stringMatching(/afile is not a folder \(a file is in its place\)/),
      ]);
      const under = errorOf(() => loadSettings({ cwd: dir, env: { [key]: 'afile/sub' } }));
      expect([under.key, under.problem]).toEqual([
        key,
        expect.stringMatching(/afile is not a folder \(needed for .*sub\)/),
      ]);
    }
    const db = errorOf(() =>
      loadSettings({ cwd: dir, env: { DATABASE_URL: `sqlite:${path.join(dir, 'afile', 'x.db')}` } }),
    );
    expect(db.key).toBe('DATABASE_URL');
  });

  it('parses alert channels and rules', () => {
    const dir = tempDir({ alerts: [{ metric: 'error_rate', threshold: 0.05, for: 60 }] });
    const s = loadSettings({ cwd: dir, env: { ALERT_CHANNELS: 'log, webhook:http://127.0.0.1:9/x' } });
    expect(s.alertChannels).toEqual(['log', 'webhook:http://127.0.0.1:9/x']);
    expect(s.alerts).toEqual([{ metric: 'error_rate', threshold: 0.05, for: 60, direction: 'above' }]);
  });

  it('reads the encoder settings: an hf spec as DEFAULT_MODEL, downloads denied and 2 threads by default', () => {
    const s = loadSettings({ cwd: tempDir(), env: { DEFAULT_MODEL: 'hf:BAAI/bge-small-en-v1.5@main' } });
    expect(s).toMatchObject({
      defaultModel: 'hf:BAAI/bge-small-en-v1.5@main',
      modelDownloads: 'deny',
      encoderThreads: 2,
    });
    expect(loadSettings({ cwd: tempDir(), env: { MODEL_DOWNLOADS: 'allow', ENCODER_THREADS: '1' } })).toMatchObject({
      modelDownloads: 'allow',
      encoderThreads: 1,
    });
  });

  const invalid: Array<[string, Record<string, string>, unknown, string, RegExp]> = [
    ['a non-numeric PORT', { PORT: 'abc' }, undefined, 'PORT', /integer/],
    ['an out-of-range PORT', { PORT: '70000' }, undefined, 'PORT', /65535/],
    ['an unknown DATABASE_URL scheme', { DATABASE_URL: 'mysql://x/y' }, undefined, 'DATABASE_URL', /mysql/],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'loud' }, undefined, 'LOG_LEVEL', /one of/],
    ['an unknown CHATLAB_AUTH', { CHATLAB_AUTH: 'maybe' }, undefined, 'CHATLAB_AUTH', /required/],
    ['an unknown alert channel', { ALERT_CHANNELS: 'pager' }, undefined, 'ALERT_CHANNELS', /pager/],
    ['a bad MAX_UPLOAD_MB', { MAX_UPLOAD_MB: '0' }, undefined, 'MAX_UPLOAD_MB', /between/],
    ['an unknown DEFAULT_MODEL_TYPE', { DEFAULT_MODEL_TYPE: 'bert' }, undefined, 'DEFAULT_MODEL_TYPE', /encoder-mlp/],
    ['a bad rate limit', { RATE_LIMIT_PER_MINUTE: '1.5' }, undefined, 'RATE_LIMIT_PER_MINUTE', /integer/],
    ['malformed config.json', {}, '{"PORT": 80,', 'config.json', /not valid JSON/],
    ['a config.json that is not an object', {}, '[1,2]', 'config.json', /object/],
    ['an unknown key in config.json', {}, { PROT: 1 }, 'PROT', /unknown key/],
    ['a bad PORT in config.json', {}, { PORT: 'x' }, 'PORT', /integer/],
    ['an alert rule without threshold', {}, { alerts: [{ metric: 'cpu_percent' }] }, 'alerts[0].threshold', /number/],
    [
      'an alert rule with a bad direction',
      {},
      { alerts: [{ metric: 'cpu_percent', threshold: 1, direction: 'up' }] },
      'alerts[0].direction',
      /above/,
    ],
    [
      'a DATABASE_URL with a malformed scheme',
      { DATABASE_URL: 'postgres:/x' },
      undefined,
      'DATABASE_URL',
      /"postgres:"/,
    ],
    ['a DATABASE_URL with no host', { DATABASE_URL: 'postgres://' }, undefined, 'DATABASE_URL', /"postgres:"/],
    ['a garbage DATABASE_URL', { DATABASE_URL: 'garbage://' }, undefined, 'DATABASE_URL', /"garbage:"/],
    ['an empty sqlite: URL', { DATABASE_URL: 'sqlite:' }, undefined, 'DATABASE_URL', /names no file/],
    [
      'a DATABASE_URL that is no path',
      { DATABASE_URL: 'chatlab' },
      undefined,
      'DATABASE_URL',
      /neither a URL nor a file path/,
    ],
    [
      'an unknown DEFAULT_MODEL',
      { DEFAULT_MODEL: 'bert-base' },
      undefined,
      'DEFAULT_MODEL',
      /unknown encoder "bert-base"/,
    ],
    ['an unknown MODEL_DOWNLOADS', { MODEL_DOWNLOADS: 'sometimes' }, undefined, 'MODEL_DOWNLOADS', /allow or deny/],
    ['a bad ENCODER_THREADS', { ENCODER_THREADS: '0' }, undefined, 'ENCODER_THREADS', /between/],
    [
      'an unknown alert metric',
      {},
      { alerts: [{ metric: 'cpu', threshold: 1 }] },
      'alerts[0].metric',
      /unknown metric "cpu"/,
    ],
  ];
  it.each(invalid)('rejects %s, naming the key', (_name, env, config, key, problem) => {
    const err = errorOf(() => loadSettings({ cwd: tempDir(config), env }));
    expect(err.key).toBe(key);
    expect(err.message).toContain(key);
    expect(err.problem).toMatch(problem);
  });
});
