import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../support/cli.js';
import { allMigrations } from '../../src/db/migrations/index.js';

const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8'));
const tmp = () => mkdtempSync(path.join(tmpdir(), 'chatlab-cli-'));

describe('chatlab binary', () => {
  it('prints help and version', () => {
    const help = runCli(['--help'], { cwd: tmp() });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: chatlab');
    expect(help.stdout).toContain('init');
    expect(help.stdout).toContain('serve');
    const version = runCli(['--version'], { cwd: tmp() });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it('rejects an unknown command and an unknown option with one line and a non-zero exit', () => {
    const cmd = runCli(['frobnicate'], { cwd: tmp() });
    expect(cmd.status).not.toBe(0);
    expect(cmd.stderr.trim().split('\n')).toHaveLength(1);
    expect(cmd.stderr).toContain("unknown command 'frobnicate'");
    const opt = runCli(['init', '--bogus'], { cwd: tmp() });
    expect(opt.status).not.toBe(0);
    expect(opt.stderr).toContain("unknown option '--bogus'");
  });

  it('init creates the folders and database, is idempotent, and masks secrets', () => {
    const cwd = tmp();
    const env = { ALERT_WEBHOOK_SECRET: 'hush-hush' };
    const first = runCli(['init', '--json'], { cwd, env });
    expect(first.status, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(result.database).toMatchObject({ dialect: 'sqlite', reachable: true });
    expect(result.migrations.pending).toEqual([]);
    expect(result.settings.ALERT_WEBHOOK_SECRET).toBe('****');
    expect(first.stdout).not.toContain('hush-hush');
    for (const dir of ['data', 'models', 'pipeline_runs', 'logs']) expect(existsSync(path.join(cwd, dir))).toBe(true);
    expect(existsSync(path.join(cwd, 'data', 'chatlab.db'))).toBe(true);
    const second = runCli(['init'], { cwd, env });
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(`Migrations: ${Object.keys(allMigrations('sqlite')).length} applied, 0 pending`);
  });

  it('exits 2 naming the key on a bad setting', () => {
    const res = runCli(['serve'], { cwd: tmp(), env: { PORT: 'abc' } });
    expect(res.status).toBe(2);
    expect(res.stderr.trim()).toBe('chatlab: invalid setting PORT: must be an integer between 0 and 65535 (got "abc")');
    const scheme = runCli(['init'], { cwd: tmp(), env: { DATABASE_URL: 'mongodb://x/y' } });
    expect(scheme.status).toBe(2);
    expect(scheme.stderr).toContain('DATABASE_URL');
    // Not a silent SQLite file named "postgres:/x", not a spin on an unusable DATA_DIR.
    const malformed = runCli(['init'], { cwd: tmp(), env: { DATABASE_URL: 'postgres:/x' } });
    expect([malformed.status, malformed.stderr]).toEqual([
      2,
      expect.stringMatching(/^chatlab: invalid setting DATABASE_URL: /),
    ]);
    const cwd = tmp();
    writeFileSync(path.join(cwd, 'data'), 'not a folder');
    const dataDir = runCli(['init'], { cwd, env: {} });
    expect([dataDir.status, dataDir.stderr]).toEqual([
      2,
      expect.stringMatching(/^chatlab: invalid setting DATA_DIR: .*data is not a folder/),
    ]);
    const model = runCli(['init'], { cwd: tmp(), env: { DEFAULT_MODEL: 'bert' } });
    expect([model.status, model.stderr]).toEqual([
      2,
      expect.stringMatching(/invalid setting DEFAULT_MODEL: unknown encoder "bert"/),
    ]);
  });

  it('reports an unreachable database with one line and exit 1', () => {
    const res = runCli(['init'], { cwd: tmp(), env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('serve listens, answers, and shuts down gracefully on SIGTERM', async () => {
    const cwd = tmp();
    const child = spawnCli(['serve', '--port', '0'], { cwd });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listen line: ${out}`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = out.match(/"url":"(http:\/\/[^"]+)"/);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    const res = await fetch(`${url}/health/ready`);
    expect(res.status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(out).toContain('shutting down');
  });
});
