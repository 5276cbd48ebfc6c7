import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../support/cli.js';
import { allMigrations } from '../../src/db/migrations/index.js';

describe('chatlab keys and backup', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'chatlab-cli-ops-'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('keys create prints the key once; list shows prefixes only; revoke by prefix', () => {
    const created = runCli(['keys', 'create', '--role', 'editor', '--name', 'ci bot', '--json'], { cwd });
    expect(created.status, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({ role: 'editor', name: 'ci bot' });
    expect(key.key).toMatch(/^clk_[A-Za-z0-9_-]{40,}$/);

    const human = runCli(['keys', 'create', '--role', 'viewer'], { cwd });
    expect(human.stdout).toMatch(/created viewer key #2/);
    expect(human.stdout).toMatch(/clk_\S+/);

    const list = runCli(['keys', 'list', '--json'], { cwd });
    expect(JSON.parse(list.stdout).map((k: { prefix: string }) => k.prefix)).toEqual([key.prefix, expect.any(String)]);
    expect(list.stdout).not.toContain(key.key);

    const revoked = runCli(['keys', 'revoke', key.prefix], { cwd });
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/revoked key #1 "ci bot"/);
    expect(JSON.parse(runCli(['keys', 'list', '--json'], { cwd }).stdout)).toHaveLength(1);

    const bad = runCli(['keys', 'create', '--role', 'root'], { cwd });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/must be viewer, editor or admin/);
    const missing = runCli(['keys', 'revoke', '999'], { cwd });
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe('chatlab: API key "999" was not found');
  });

  it('backup create, list and restore; a corrupted archive is refused in one line', () => {
    mkdirSync(path.join(cwd, 'models', 'm'), { recursive: true });
    writeFileSync(path.join(cwd, 'models', 'm', 'w.bin'), 'weights-v1');
    const created = runCli(['backup', 'create', '--keep', '3', '--json'], { cwd });
    expect(created.status, created.stderr).toBe(0);
    const backup = JSON.parse(created.stdout);
    expect(backup.file).toContain(path.join(cwd, 'backups'));
    expect(backup.manifest).toMatchObject({
      format: 'chatlab-backup',
      dialect: 'sqlite',
      schema_version: Object.keys(allMigrations('sqlite')).at(-1),
    });

    const listed = runCli(['backup', 'list'], { cwd });
    expect(listed.stdout).toContain(backup.name);

    writeFileSync(path.join(cwd, 'models', 'm', 'w.bin'), 'weights-v2');
    const later = JSON.parse(runCli(['keys', 'create', '--role', 'admin', '--json'], { cwd }).stdout);
    const keysBefore = JSON.parse(runCli(['keys', 'list', '--json'], { cwd }).stdout);
    const restored = runCli(['backup', 'restore', backup.file], { cwd });
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/restored .* files verified/);
    // API keys are never rolled back: the key made after the backup is kept, and said so.
    expect(restored.stdout).toContain(`made after the backup: ${later.prefix}…`);
    expect(readFileSync(path.join(cwd, 'models', 'm', 'w.bin'), 'utf8')).toBe('weights-v1');
    expect(JSON.parse(runCli(['keys', 'list', '--json'], { cwd }).stdout)).toEqual(keysBefore);

    const broken = path.join(cwd, 'broken.tar.gz');
    writeFileSync(broken, 'not a gzip file at all');
    const refused = runCli(['backup', 'restore', broken], { cwd });
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^chatlab: broken.tar.gz was refused: .*nothing was changed/);
  });
});

describe('chatlab serve exposure', () => {
  it('refuses a non-loopback host with auth off unless --insecure', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'chatlab-cli-serve-'));
    try {
      const res = runCli(['serve', '--host', '0.0.0.0', '--port', '0'], { cwd, env: { CHATLAB_AUTH: 'off' } });
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 with CHATLAB_AUTH=off/);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('a non-loopback --host turns auth on by default', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'chatlab-cli-serve-'));
    const child = spawnCli(['serve', '--host', '0.0.0.0', '--port', '0'], { cwd, env: { CHATLAB_AUTH: '' } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
          if (m) resolve(m[1]!.replace('0.0.0.0', '127.0.0.1'));
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
      expect((await fetch(`${url}/alerts`)).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
