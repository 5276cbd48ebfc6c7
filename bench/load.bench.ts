/**
 * Load benchmark: autocannon, 50 connections for 60 s per target, in one run:
 *   1. a bare Fastify route (`GET /`, no plugins) in its own child process: the reference;
 *   2. `GET /health/live` of a real `chatlab serve` child process (the built binary);
 *   3. `POST /intents/predict` (tfidf-linear on BANKING77, one text) with PREDICTION_LOG=off;
 *   4. the same with PREDICTION_LOG=on (a fresh server), so the log's cost is the difference.
 * Prints requests/s, p50/p99 latency, errors and the server's RSS before and after, the ratios the
 * serving-speed goals are stated in, and writes bench/results/load.json. LOAD_BENCH_SECONDS
 * shortens runs for a smoke test.
 * Then the heavy phase: `GET /health/live` probed while a 100k-turn labelling job and back-to-back
 * maximal predicts run (goal p99 <= 100 ms).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
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

/** The reference: Fastify with one route and nothing else, served by a child process like the lab. */
const BARE_SERVER = `
import Fastify from '${pathToFileURL(createRequire(import.meta.url).resolve('fastify')).href}';
const app = Fastify();
app.get('/', async () => ({ status: 'ok' }));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(JSON.stringify({ url }));
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
`;

async function startServer(
  extraEnv: Record<string, string> = {},
  args = [bin, 'serve', '--port', '0'],
): Promise<{ child: ChildProcess; url: string }> {
  // LOG_LEVEL info: the default; requests are logged at debug (errors and slow ones always).
  const child = spawn(process.execPath, args, { cwd, env: { ...env, LOG_LEVEL: 'info', ...extraEnv } });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        // Stop collecting: whatever the server logs next must not pile up in this process, which
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

/** A JSON Lines log of `turns` unlabelled USER turns (two per conversation) from BANKING77 texts. */
function writeLog(file: string, turns: number): void {
  const texts = readFileSync(path.join(banking77, 'train.csv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.slice(0, l.lastIndexOf(',')).replace(/^"|"$/g, ''))
    .filter((t) => t.length > 0);
  const lines: string[] = [];
  for (let i = 0; i < turns; i++) {
    lines.push(JSON.stringify({ conversation_id: `c${i >> 1}`, speaker: 'user', text: texts[i % texts.length] }));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

interface HeavyFigures {
  idle_p50_ms: number;
  idle_p99_ms: number;
  turns: number;
  label_seconds: number;
  max_predicts_completed: number;
  probes: number;
  health_p50_ms: number;
  health_p99_ms: number;
  health_max_ms: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Probes GET /health/live from one client every 10 ms until `done()`; the latencies in ms. */
async function probeHealth(url: string, done: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  while (!done()) {
    const t0 = performance.now();
    const res = await fetch(`${url}/health/live`);
    await res.arrayBuffer();
    latencies.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 10));
  }
  return latencies.sort((a, b) => a - b);
}

/** Sends maximal predict requests back to back to the URL in argv, printing `ok` per answer. */
const PREDICT_LOOP = `
const url = process.argv[1];
const text = 'I still have not received my new card, can you check where it is? '.repeat(150).slice(0, 10000);
const body = JSON.stringify({ texts: new Array(1000).fill(text), top_k: 100 });
for (;;) {
  const res = await fetch(url + '/intents/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  if (res.status !== 200) { console.error('maximal predict answered ' + res.status); process.exit(1); }
  console.log('ok');
}`;

/** /health/live latency, probed by one client, while a labelling job and maximal predictions run. */
async function heavyPhase(url: string, datasetId: number, turns: number): Promise<HeavyFigures> {
  const idleUntil = Date.now() + 15_000;
  const idle = await probeHealth(url, () => Date.now() > idleUntil);
  const started = Date.now();
  const queued = await fetch(`${url}/analytics/label`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dataset: datasetId }),
  });
  if (queued.status !== 202) throw new Error(`POST /analytics/label answered ${queued.status}: ${await queued.text()}`);
  const statusUrl = `${url}${((await queued.json()) as { status_url: string }).status_url}`;
  let finished = false;
  let labelSeconds = 0;

  const watchJob = (async () => {
    while (!finished) {
      await new Promise((r) => setTimeout(r, 500));
      const job = (await (await fetch(statusUrl)).json()) as { status: string; error?: string };
      if (job.status === 'failed') throw new Error(`labelling failed: ${job.error}`);
      if (job.status === 'succeeded') {
        labelSeconds = (Date.now() - started) / 1000;
        finished = true;
      }
    }
  })();

  // The maximal predicts come from a child process: receiving their 15 MB answers here would
  // delay this process's own probe and be counted against the server.
  const predictor = spawn(process.execPath, ['--input-type=module', '-e', PREDICT_LOOP, url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let predicts = 0;
  predictor.stdout!.on(
    'data',
    (c: Buffer) =>
      (predicts += c
        .toString()
        .split('\n')
        .filter((l) => l === 'ok').length),
  );
  const predicting = new Promise<void>((resolve, reject) =>
    predictor.on('exit', (code, signal) =>
      signal === 'SIGTERM' || code === 0 ? resolve() : reject(new Error(`maximal predicts failed (${code})`)),
    ),
  );

  const sorted = await probeHealth(url, () => finished);
  await watchJob;
  predictor.kill('SIGTERM');
  await predicting;
  const ms = (x: number) => Math.round(x * 10) / 10;
  return {
    idle_p50_ms: ms(quantile(idle, 0.5)),
    idle_p99_ms: ms(quantile(idle, 0.99)),
    turns,
    label_seconds: Math.round(labelSeconds * 10) / 10,
    max_predicts_completed: predicts,
    probes: sorted.length,
    health_p50_ms: ms(quantile(sorted, 0.5)),
    health_p99_ms: ms(quantile(sorted, 0.99)),
    health_max_ms: ms(sorted[sorted.length - 1] ?? 0),
  };
}

const figures: Figures[] = [];
let heavy: HeavyFigures | string = 'not measured';
const heavyTurns = Number(process.env.LOAD_BENCH_TURNS ?? 100_000);
let logId: number | undefined;
let predictNote = 'not measured';
const predictBody = {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ text: 'I lost my card, can you block it?' }),
};

async function measure(
  start: () => Promise<{ child: ChildProcess; url: string }>,
  runs: Array<{ path: string; target: string; opts: Partial<CannonOptions> }>,
): Promise<void> {
  const { child, url } = await start();
  try {
    for (const r of runs) figures.push(await load(`${url}${r.path}`, child.pid!, r.target, r.opts));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  }
}

try {
  let canPredict = false;
  if (existsSync(banking77)) {
    try {
      cli(['datasets', 'ingest', '--type', 'banking77', '--path', banking77, '--name', 'banking77', '--json']);
      cli(['train', '--dataset', 'banking77', '--model', 'tfidf-linear', '--alias', 'production', '--json']);
      canPredict = true;
      const logFile = path.join(cwd, 'heavy-log.jsonl');
      writeLog(logFile, heavyTurns);
      const ingested = JSON.parse(
        cli(['datasets', 'ingest', '--type', 'jsonl', '--path', logFile, '--name', 'heavy-log', '--json']),
      ) as { dataset: { id: number } };
      logId = ingested.dataset.id;
    } catch (err) {
      predictNote = `skipped: ${(err as Error).message.split('\n')[0]}`;
    }
  } else {
    predictNote = `skipped: ${banking77} not found`;
  }
  await measure(
    () => startServer({}, ['--input-type=module', '-e', BARE_SERVER]),
    [{ path: '/', target: 'bare Fastify GET /', opts: {} }],
  );
  await measure(
    () => startServer({ PREDICTION_LOG: 'off' }),
    [
      { path: '/health/live', target: 'GET /health/live', opts: {} },
      ...(canPredict
        ? [{ path: '/intents/predict', target: 'POST /intents/predict, log off', opts: predictBody }]
        : []),
    ],
  );
  if (canPredict) {
    await measure(
      () => startServer({ PREDICTION_LOG: 'on' }),
      [{ path: '/intents/predict', target: 'POST /intents/predict, log on', opts: predictBody }],
    );
    predictNote = 'measured';
  }
  if (logId !== undefined) {
    const { child, url } = await startServer({ PREDICTION_LOG: 'off' });
    try {
      heavy = await heavyPhase(url, logId, heavyTurns);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    }
  } else {
    heavy = `skipped: ${predictNote}`;
  }
} finally {
  rmSync(cwd, { recursive: true, force: true });
}

printTable(figures.map((f) => ({ ...f })) as unknown as Array<Record<string, string | number>>);
if (predictNote !== 'measured') console.log(`/intents/predict: ${predictNote}`);

const by = (prefix: string) => figures.find((f) => f.target.startsWith(prefix));
const bare = by('bare');
const health = by('GET /health/live');
const off = by('POST /intents/predict, log off');
const on = by('POST /intents/predict, log on');
const ratio = (a?: Figures, b?: Figures) =>
  a && b && b.requests_per_s > 0 ? a.requests_per_s / b.requests_per_s : null;
const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);
const goals = {
  health_vs_bare: ratio(health, bare),
  predict_vs_health: ratio(off, health),
  predict_p99_ms: off?.p99_ms ?? null,
  log_throughput_cost: off && on ? 1 - on.requests_per_s / off.requests_per_s : null,
  log_p99_cost_ms: off && on ? on.p99_ms - off.p99_ms : null,
};
const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'met' : 'NOT met');
console.log(
  `/health/live vs bare route: ${pct(goals.health_vs_bare)} (goal >= 50 %: ${verdict(goals.health_vs_bare === null ? null : goals.health_vs_bare >= 0.5)})`,
);
console.log(
  `/intents/predict (log off) vs /health/live: ${pct(goals.predict_vs_health)} (goal >= 50 %: ${verdict(goals.predict_vs_health === null ? null : goals.predict_vs_health >= 0.5)}); p99 ${goals.predict_p99_ms ?? 'n/a'} ms (goal <= 20 ms: ${verdict(goals.predict_p99_ms === null ? null : goals.predict_p99_ms <= 20)})`,
);
console.log(
  `prediction log cost: ${pct(goals.log_throughput_cost)} of predict throughput (goal <= 10 %: ${verdict(goals.log_throughput_cost === null ? null : goals.log_throughput_cost <= 0.1)}), ${goals.log_p99_cost_ms ?? 'n/a'} ms of p99 (goal <= 1 ms: ${verdict(goals.log_p99_cost_ms === null ? null : goals.log_p99_cost_ms <= 1)})`,
);
if (typeof heavy === 'string') console.log(`heavy phase: ${heavy}`);
else {
  console.log(
    `\nGET /health/live under a ${heavy.turns}-turn labelling job and back-to-back maximal predicts ` +
      `(1,000 x 10,000 chars, top_k 100): p50 ${heavy.health_p50_ms} ms, p99 ${heavy.health_p99_ms} ms, ` +
      `max ${heavy.health_max_ms} ms over ${heavy.probes} probes (goal p99 <= 100 ms: ` +
      `${heavy.health_p99_ms <= 100 ? 'met' : 'NOT met'}); labelling took ${heavy.label_seconds} s, ` +
      `${heavy.max_predicts_completed} maximal predicts completed meanwhile; the same probe on the idle ` +
      `server: p50 ${heavy.idle_p50_ms} ms, p99 ${heavy.idle_p99_ms} ms`,
  );
}
const file = writeResult('load', { runs: figures, predict: predictNote, goals, heavy });
console.log(`wrote ${file}`);
const failed = figures.filter((f) => f.errors > 0 || f.timeouts > 0 || f.non_2xx > 0);
if (failed.length > 0) {
  console.error(
    `errors under load: ${failed.map((f) => `${f.target}: ${f.errors} errors, ${f.timeouts} timeouts, ${f.non_2xx} non-2xx`).join('; ')}`,
  );
  process.exit(1);
}
