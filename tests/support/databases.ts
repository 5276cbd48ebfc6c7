import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe } from 'vitest';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { openLab, type LabContext } from '../../src/lab/context.js';

export type TestDialect = 'sqlite' | 'postgres';

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl && process.env.CI === 'true') {
  throw new Error('CI=true but TEST_DATABASE_URL is unset: the PostgreSQL tests must run in CI (see .ci/run)');
}
let warned = false;

/** The dialects this run covers: SQLite always, PostgreSQL when TEST_DATABASE_URL is set. */
export const dialects: TestDialect[] = adminUrl ? ['sqlite', 'postgres'] : ['sqlite'];

/**
 * `describe` once per dialect. Test names carry `[sqlite]` / `[postgres]`, which the CI reporter
 * counts. Without TEST_DATABASE_URL the PostgreSQL block is skipped with a printed reason.
 */
export function describeEachDialect(name: string, body: (dialect: TestDialect) => void): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    if (dialect === 'postgres' && !adminUrl) {
      if (!warned) {
        warned = true;
        console.warn('PostgreSQL tests skipped: TEST_DATABASE_URL is unset (scripts/test-postgres.sh start sets it)');
      }
      describe.skip(`${name} [postgres]`, () => body(dialect));
      continue;
    }
    describe(`${name} [${dialect}]`, () => body(dialect));
  }
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database: a SQLite file in a temp folder, or a new PostgreSQL database. */
export async function createTestDatabase(dialect: TestDialect, dir: string): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    return { url: `sqlite:${path.join(dir, 'test.db')}`, drop: async () => {} };
  }
  const name = `chatlab_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export interface TestLab extends LabContext {
  dir: string;
  cleanup(): Promise<void>;
}

/** Settings rooted in a fresh temp folder, with environment-style overrides. */
export function testSettings(dir: string, env: Record<string, string> = {}): Settings {
  return loadSettings({ cwd: dir, env: { LOG_LEVEL: 'silent', ...env }, configFile: path.join(dir, 'config.json') });
}

/** An open, migrated lab on a fresh database of the given dialect, in its own temp folder. */
export async function createTestLab(
  dialect: TestDialect = 'sqlite',
  env: Record<string, string> = {},
): Promise<TestLab> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chatlab-test-'));
  const database = await createTestDatabase(dialect, dir);
  const settings = testSettings(dir, { DATABASE_URL: database.url, ...env });
  const lab = await openLab(settings);
  return {
    ...lab,
    dir,
    cleanup: async () => {
      await lab.db.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
