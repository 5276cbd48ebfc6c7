/**
 * Load benchmark: autocannon against a real `chatlab serve` child process (the built binary), 50
 * connections for 60 s on GET /health/live and, when a model can be trained here, on
 * POST /intents/predict. Prints requests/s, p50/p99 latency, errors and the server's RSS before
 * and after, and writes bench/results/load.json. LOAD_BENCH_SECONDS shortens runs for a smoke test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { printTable, writeResult } from './harness.js';

/** The part of autocannon's API used here (the package ships no type declarations). */
interface CannonOptions {
  url: string;
  connections: number;
  duration: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface CannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (o: CannonOptions) => Promise<CannonResult>;

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin/chatlab.js');
const seconds = Number(process.env.LOAD_BENCH_SECONDS ?? 60);
const connections = 50;
const banking77 = path.resolve(root, '../shared/datasets/banking77');

const cwd = mkdtempSync(path.join(tmpdir(), 'chatlab-load-'));
const env = {
  ...process.env,
  LOG_LEVEL: 'warn',
  CHATLAB_AUTH: 'off',
  // The limiter would answer 429s: this measures the service, not the limiter.
  RATE_LIMIT_PER_MINUTE: '1000000',
};

function cli(args: string[]): string {
  const res = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', timeout: 900_000 });
  if (res.status !== 0) throw new Error(`chatlab ${args.join(' ')} failed: ${res.stderr.trim()}`);
  return res.stdout;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

async function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], { cwd, env: { ...env, LOG_LEVEL: 'info' } });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        // Stop collecting: the request log that follows must not pile up in this process, which
        // also runs autocannon.
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  child.stdout!.resume();
  return { child, url };
}

interface Figures {
  target: string;
  seconds: number;
  connections: number;
  requests: number;
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  timeouts: number;
  non_2xx: number;
  rss_before_mib: number;
  rss_after_mib: number;
}

async function load(url: string, pid: number, target: string, opts: Partial<CannonOptions>): Promise<Figures> {
  const before = rssMiB(pid);
  const result = await autocannon({ url, connections, duration: seconds, ...opts });
  return {
    target,
    seconds,
    connections,
    requests: result.requests.total,
    requests_per_s: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non_2xx: result.non2xx,
    rss_before_mib: before,
    rss_after_mib: rssMiB(pid),
  };
}

const figures: Figures[] = [];
let predictNote = 'not measured';
try {
  let canPredict = false;
  if (existsSync(banking77)) {
    try {
      cli(['datasets', 'ingest', '--type', 'banking77', '--path', banking77, '--name', 'banking77', '--json']);
      cli(['train', '--dataset', 'banking77', '--model', 'tfidf-linear', '--alias', 'production', '--json']);
      canPredict = true;
    } catch (err) {
      predictNote = `skipped: ${(err as Error).message.split('\n')[0]}`;
    }
  } else {
    predictNote = `skipped: ${banking77} not found`;
  }
  const { child, url } = await startServer();
  try {
    figures.push(await load(`${url}/health/live`, child.pid!, 'GET /health/live', {}));
    if (canPredict) {
      figures.push(
        await load(`${url}/intents/predict`, child.pid!, 'POST /intents/predict (tfidf-linear, 1 text)', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: 'I lost my card, can you block it?' }),
        }),
      );
      predictNote = 'measured';
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  }
} finally {
  rmSync(cwd, { recursive: true, force: true });
}

printTable(figures.map((f) => ({ ...f })) as unknown as Array<Record<string, string | number>>);
if (predictNote !== 'measured') console.log(`/intents/predict: ${predictNote}`);
const file = writeResult('load', { runs: figures, predict: predictNote });
console.log(`wrote ${file}`);
const failed = figures.filter((f) => f.errors > 0 || f.timeouts > 0 || f.non_2xx > 0);
if (failed.length > 0) {
  console.error(
    `errors under load: ${failed.map((f) => `${f.target}: ${f.errors} errors, ${f.timeouts} timeouts, ${f.non_2xx} non-2xx`).join('; ')}`,
  );
  process.exit(1);
}
