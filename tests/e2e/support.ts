import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { BrowserContext } from 'playwright-core';
import { expect } from 'vitest';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const sharedDatasets = path.resolve(repoRoot, '../shared/datasets');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const resultsDir = path.join(repoRoot, 'test-results');

/** The 10 BANKING77 intents the e2e suite trains on: small enough for CI, real text. */
export const E2E_INTENTS = [
  'activate_my_card',
  'age_limit',
  'apple_pay_or_google_pay',
  'atm_support',
  'card_arrival',
  'exchange_rate',
  'lost_or_stolen_card',
  'pin_blocked',
  'top_up_failed',
  'transfer_timing',
];

/**
 * Whether the browser suite can run. Without Chromium it is skipped with a printed reason, except
 * under CI=true, where a missing browser is a failure (CI installs it with apt).
 */
export function browserAvailability(): { run: boolean; reason?: string } {
  if (existsSync(chromiumPath)) {
    if (
      !existsSync(path.join(repoRoot, 'dist/web/index.html')) ||
      !existsSync(path.join(repoRoot, 'dist/cli/main.js'))
    ) {
      if (process.env.CI === 'true') throw new Error('e2e: the build is missing; run `npm run build` first');
      return { run: false, reason: 'the build is missing (dist/web, dist/cli): run `npm run build`' };
    }
    return { run: true };
  }
  if (process.env.CI === 'true')
    throw new Error(`e2e: CI=true but no Chromium at ${chromiumPath} (apt-get install chromium)`);
  return { run: false, reason: `no Chromium at ${chromiumPath} (install Debian's chromium or set CHROMIUM_PATH)` };
}

/** Writes a BANKING77-layout folder holding only `intents`, parsed and written with the CSV libraries. */
export function writeBankingSubset(dir: string, intents: string[]): { train: number; test: number } {
  mkdirSync(dir, { recursive: true });
  const keep = new Set(intents);
  const counts = { train: 0, test: 0 };
  for (const split of ['train', 'test'] as const) {
    const rows = parse(readFileSync(path.join(sharedDatasets, 'banking77', `${split}.csv`)), {
      columns: true,
    }) as Array<{
      text: string;
      category: string;
    }>;
    const subset = rows.filter((r) => keep.has(r.category));
    counts[split] = subset.length;
    writeFileSync(path.join(dir, `${split}.csv`), stringify(subset, { header: true, columns: ['text', 'category'] }));
  }
  return counts;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface LabServer {
  url: string;
  dir: string;
  datasetDir: string;
  /** The environment the server runs with: give it to `chatlab` CLI calls on the same lab. */
  env: Record<string, string>;
  logs: () => string;
  api<T = any>(
    pathname: string,
    init?: { method?: string; body?: unknown; key?: string },
  ): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/** Starts the built `chatlab serve` on a free port over a fresh SQLite lab in a temp folder. */
export async function startLabServer(env: Record<string, string> = {}): Promise<LabServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chatlab-e2e-'));
  const datasetDir = path.join(dir, 'datasets');
  mkdirSync(datasetDir, { recursive: true });
  const port = await freePort();
  let output = '';
  const labEnv: Record<string, string> = {
    DATA_DIR: path.join(dir, 'data'),
    DATASET_DIR: datasetDir,
    DATABASE_URL: `sqlite:${path.join(dir, 'data', 'lab.db')}`,
    MODEL_DIR: path.join(dir, 'models'),
    RUNS_DIR: path.join(dir, 'pipeline_runs'),
    LOG_DIR: path.join(dir, 'logs'),
    CHATLAB_AUTH: 'off',
    LOG_LEVEL: 'warn',
    ...env,
  };
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(repoRoot, 'bin/chatlab.js'), 'serve', '--host', '127.0.0.1', '--port', String(port)],
    {
      cwd: dir,
      env: { ...process.env, ...labEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`chatlab serve exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/health/live`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`chatlab serve did not start in 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    dir,
    datasetDir,
    env: labEnv,
    logs: () => output,
    async api(pathname, init = {}) {
      const res = await fetch(`${url}${pathname}`, {
        method: init.method ?? 'GET',
        headers: {
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
        },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      });
      const text = await res.text();
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, body };
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Copies the SGD subset into the server's DATASET_DIR (uploads are confined to it). */
export function copySgd(datasetDir: string): string {
  const target = path.join(datasetDir, 'sgd');
  cpSync(path.join(sharedDatasets, 'sgd'), target, { recursive: true });
  return target;
}

/** Debian Chromium, headless, fresh profile; launch arguments from GUIDE.md. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(path.join(tmpdir(), 'chatlab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * expect.poll with room for a busy CI machine (its default gives up after 1 s): pages render
 * after their API calls answer, which can take seconds while other suites run.
 */
export const poll = <T>(fn: () => T | Promise<T>, options: { timeout?: number; interval?: number } = {}) =>
  expect.poll(fn, { timeout: 30_000, interval: 100, ...options });
