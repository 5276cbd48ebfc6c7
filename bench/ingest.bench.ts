/**
 * Ingestion speed: rows/s for BANKING77 and for a generated 1,000,000-turn JSON Lines
 * conversation log, next to the raw insert rate of the same driver measured in the same run.
 * Goal: ingestion >= 30 % of the raw insert rate on SQLite.
 *
 *   npm run bench -- ingest            (BENCH_TURNS=200000 for a quicker run)
 *
 * Rates are given by wall time and by CPU time of this process (all its threads): on a shared
 * machine the wall figure mostly measures the other processes, the CPU figure what this code costs.
 * With TEST_DATABASE_URL (or BENCH_DATABASE_URL) set, PostgreSQL is measured too
 * (BENCH_PG_TURNS turns, default 200,000; BENCH_SKIP_PG=1 to skip).
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import pg from 'pg';
import { loadSettings } from '../src/config/settings.js';
import { referenceAnalyzer, sentimentOf } from '../src/conversations/sentiment.js';
import { openLab, type LabContext } from '../src/lab/context.js';
import { ingestDataset } from '../src/datasets/ingest.js';
import { computeReport } from '../src/datasets/validation.js';
import { median, printTable, writeResult } from './harness.js';

const TURNS = Number(process.env.BENCH_TURNS ?? 1_000_000);
const TURNS_PER_CONVERSATION = 10;
const banking77 = path.resolve(import.meta.dirname, '../../shared/datasets/banking77');
const pgAdmin = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const work = mkdtempSync(path.join(tmpdir(), 'chatlab-bench-ingest-'));

async function freshLab(dialect: 'sqlite' | 'postgres'): Promise<{ lab: LabContext; drop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(work, 'lab-'));
  let url = `sqlite:${path.join(dir, 'bench.db')}`;
  let dropDb = async () => {};
  if (dialect === 'postgres') {
    const name = `chatlab_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: pgAdmin });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(pgAdmin!);
    u.pathname = `/${name}`;
    url = u.toString();
    dropDb = async () => {
      const c = new pg.Client({ connectionString: pgAdmin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  const lab = await openLab(loadSettings({ cwd: dir, env: { DATABASE_URL: url, LOG_LEVEL: 'silent' } }));
  return {
    lab,
    drop: async () => {
      await lab.db.close();
      await dropDb();
    },
  };
}

/** Wall and CPU (user + system of this process) seconds of `fn`. */
async function measure<T>(fn: () => Promise<T> | T): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

const rate = (n: number, seconds: number) => Math.round(n / seconds);

/**
 * A realistic log: USER turns are BANKING77 queries with their intent (texts repeat, as in real
 * logs), SYSTEM turns unique answers; ISO and epoch timestamps mixed; 10 turns per conversation.
 */
async function generateLog(file: string, turns: number): Promise<void> {
  const rows = parse(readFileSync(path.join(banking77, 'train.csv')), { columns: true }) as Array<{
    text: string;
    category: string;
  }>;
  const out = createWriteStream(file);
  const start = Date.UTC(2024, 0, 1) / 1000;
  let buffer = '';
  for (let i = 0; i < turns; i++) {
    const conversation_id = `c${Math.floor(i / TURNS_PER_CONVERSATION)}`;
    const r = rows[(i * 7919) % rows.length]!;
    const line =
      i % 2 === 0
        ? { conversation_id, speaker: 'user', text: r.text, intent: r.category, timestamp: start + i * 3 }
        : {
            conversation_id,
            speaker: 'bot',
            text: `Here is how to handle ${r.category.replace(/_/g, ' ')} (ref ${i}).`,
            timestamp: new Date((start + i * 3) * 1000).toISOString(),
          };
    buffer += `${JSON.stringify(line)}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buffer = '';
    }
  }
  out.end(buffer);
  await new Promise<void>((resolve) => out.on('finish', () => resolve()));
}

/** Raw rate of better-sqlite3: pre-built turn rows, prepared INSERTs in one transaction, nothing else. */
async function rawSqlite(rows: number, perStatement: number): Promise<{ wall: number; cpu: number }> {
  const { lab, drop } = await freshLab('sqlite');
  const db = lab.db.sqlite!;
  db.prepare("insert into datasets (name, type, source, checksum) values ('raw', 'jsonl', 'raw', 'raw')").run();
  const conv = db.prepare('insert into conversations (dataset_id, external_id) values (1, ?)');
  db.transaction(() => {
    for (let c = 0; c < rows / TURNS_PER_CONVERSATION; c++) conv.run(`c${c}`);
  })();
  const data = Array.from({ length: rows }, (_, i) => [
    1 + Math.floor(i / TURNS_PER_CONVERSATION),
    1,
    i % TURNS_PER_CONVERSATION,
    i % 2 ? 'SYSTEM' : 'USER',
    `raw insert text number ${i}`,
    i % 2 ? null : 'card_arrival',
    i % 2 ? null : 0.1,
    1704067200000 + i * 3000,
    null,
  ]);
  const cols = '(conversation_id, dataset_id, idx, speaker, text, intent, sentiment, ts, metadata)';
  const stmt = db.prepare(
    `insert into turns ${cols} values ${Array(perStatement).fill('(?,?,?,?,?,?,?,?,?)').join(',')}`,
  );
  const m = await measure(() =>
    db.transaction(() => {
      const params: unknown[] = [];
      for (let i = 0; i + perStatement <= data.length; i += perStatement) {
        params.length = 0;
        for (let j = i; j < i + perStatement; j++) params.push(...data[j]!);
        stmt.run(params);
      }
    })(),
  );
  await drop();
  return { wall: rows / m.wall, cpu: rows / m.cpu };
}

/** Raw rate of node-postgres: multi-row INSERTs of 1,000 pre-built rows in one transaction. */
async function rawPostgres(rows: number): Promise<number> {
  const { lab, drop } = await freshLab('postgres');
  const db = lab.db.kysely;
  await db.insertInto('datasets').values({ name: 'raw', type: 'jsonl', source: 'raw', checksum: 'raw' }).execute();
  await sql`insert into conversations (dataset_id, external_id) select 1, 'c' || g from generate_series(1, ${rows / TURNS_PER_CONVERSATION}) g`.execute(
    db,
  );
  const m = await measure(() =>
    db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows; i += 1000) {
        const chunk = Array.from({ length: Math.min(1000, rows - i) }, (_, k) => {
          const j = i + k;
          return {
            conversation_id: 1 + Math.floor(j / TURNS_PER_CONVERSATION),
            dataset_id: 1,
            idx: j % TURNS_PER_CONVERSATION,
            speaker: j % 2 ? 'SYSTEM' : 'USER',
            text: `raw insert text number ${j}`,
            intent: j % 2 ? null : 'card_arrival',
            predicted_intent: null,
            confidence: null,
            sentiment: j % 2 ? null : 0.1,
            ts: 1704067200000 + j * 3000,
            metadata: null,
          };
        });
        await trx.insertInto('turns').values(chunk).execute();
      }
    }),
  );
  await drop();
  return rows / m.wall;
}

async function timeIngest(dialect: 'sqlite' | 'postgres', type: 'banking77' | 'jsonl', file: string) {
  const { lab, drop } = await freshLab(dialect);
  const m = await measure(() => ingestDataset(lab, { type, path: file }));
  const { dataset } = m.value;
  // Ingestion sums the validation report as it writes the examples (SQLite); the report computed
  // again from the stored examples shows what that saved.
  const validation = await measure(() => computeReport(lab.db.kysely, dataset.id, null));
  await drop();
  return {
    wall: m.wall,
    cpu: m.cpu,
    validationWall: validation.wall,
    validationCpu: validation.cpu,
    turns: dataset.turn_count,
    examples: dataset.example_count,
  };
}

const results: Record<string, unknown> = { turns: TURNS };
const rows: Array<Record<string, string | number>> = [];

try {
  // BANKING77: median of 3 runs.
  const bankRuns = [];
  for (let i = 0; i < 3; i++) bankRuns.push(await timeIngest('sqlite', 'banking77', banking77));
  const bankRows = bankRuns[0]!.examples;
  const bankWall = median(bankRuns.map((r) => r.wall));
  const bankCpu = median(bankRuns.map((r) => r.cpu));
  results.sqlite_banking77 = {
    rows: bankRows,
    wall_s: bankWall,
    cpu_s: bankCpu,
    rows_per_s_wall: rate(bankRows, bankWall),
    rows_per_s_cpu: rate(bankRows, bankCpu),
  };

  const log = path.join(work, 'log.jsonl');
  await generateLog(log, TURNS);
  // This machine's speed drifts by a quarter between minutes: the raw rate and the ingestion are
  // measured in alternation (raw, ingest, raw, ... raw) and each figure is the median.
  const rawSingleRuns = [await rawSqlite(TURNS, 1)];
  const ingestRuns = [];
  for (let i = 0; i < 3; i++) {
    ingestRuns.push(await timeIngest('sqlite', 'jsonl', log));
    rawSingleRuns.push(await rawSqlite(TURNS, 1));
  }
  const rawSingle = {
    wall: median(rawSingleRuns.map((r) => r.wall)),
    cpu: median(rawSingleRuns.map((r) => r.cpu)),
  };
  const rawMulti = await rawSqlite(TURNS, 200);
  const run = {
    ...ingestRuns[0]!,
    wall: median(ingestRuns.map((r) => r.wall)),
    cpu: median(ingestRuns.map((r) => r.cpu)),
    validationWall: median(ingestRuns.map((r) => r.validationWall)),
    validationCpu: median(ingestRuns.map((r) => r.validationCpu)),
  };
  const wallRate = rate(run.turns, run.wall);
  const cpuRate = rate(run.turns, run.cpu);
  results.sqlite_log = {
    turns: run.turns,
    examples_also_written: run.examples,
    conversations: Math.ceil(run.turns / TURNS_PER_CONVERSATION),
    wall_s: run.wall,
    cpu_s: run.cpu,
    validation_report_wall_s: run.validationWall,
    validation_report_cpu_s: run.validationCpu,
    turns_per_s_wall: wallRate,
    turns_per_s_cpu: cpuRate,
    ingest_runs_wall_s: ingestRuns.map((r) => r.wall),
    raw_single_row_runs_per_s_wall: rawSingleRuns.map((r) => Math.round(r.wall)),
    raw_single_row_per_s_wall: Math.round(rawSingle.wall),
    raw_single_row_per_s_cpu: Math.round(rawSingle.cpu),
    raw_multi_row_per_s_wall: Math.round(rawMulti.wall),
    raw_multi_row_per_s_cpu: Math.round(rawMulti.cpu),
    ratio_vs_raw_single_wall: wallRate / rawSingle.wall,
    ratio_vs_raw_single_cpu: cpuRate / rawSingle.cpu,
    ratio_vs_raw_multi_cpu: cpuRate / rawMulti.cpu,
  };
  rows.push(
    {
      db: 'sqlite',
      what: 'BANKING77 ingest (13,083 examples)',
      'rows/s wall': rate(bankRows, bankWall),
      'rows/s cpu': rate(bankRows, bankCpu),
      'wall s': bankWall.toFixed(2),
      'cpu s': bankCpu.toFixed(2),
    },
    {
      db: 'sqlite',
      what: `JSONL log ingest (${TURNS} turns), median of 3`,
      'rows/s wall': wallRate,
      'rows/s cpu': cpuRate,
      'wall s': run.wall.toFixed(2),
      'cpu s': run.cpu.toFixed(2),
    },
    {
      db: 'sqlite',
      what: '  validation report read back from the examples',
      'rows/s wall': '-',
      'rows/s cpu': '-',
      'wall s': run.validationWall.toFixed(2),
      'cpu s': run.validationCpu.toFixed(2),
    },
    {
      db: 'sqlite',
      what: 'raw INSERT turns, 1 row/statement, median of 4',
      'rows/s wall': Math.round(rawSingle.wall),
      'rows/s cpu': Math.round(rawSingle.cpu),
      'wall s': (TURNS / rawSingle.wall).toFixed(2),
      'cpu s': (TURNS / rawSingle.cpu).toFixed(2),
    },
    {
      db: 'sqlite',
      what: 'raw INSERT turns, 200 rows/statement',
      'rows/s wall': Math.round(rawMulti.wall),
      'rows/s cpu': Math.round(rawMulti.cpu),
      'wall s': (TURNS / rawMulti.wall).toFixed(2),
      'cpu s': (TURNS / rawMulti.cpu).toFixed(2),
    },
  );

  // Sentiment on all-unique texts (no memo hits): the patched tokenizer and the package as published.
  const texts = (
    parse(readFileSync(path.join(banking77, 'train.csv')), { columns: true }) as Array<{ text: string }>
  ).map((r) => r.text);
  const n = 10_000;
  const fast = await measure(() => {
    for (let i = 0; i < n; i++) sentimentOf(`${texts[i % texts.length]} #${i}`);
  });
  const reference = await measure(() => {
    for (let i = 0; i < n; i++) referenceAnalyzer.polarity_scores(`${texts[i % texts.length]} @${i}`);
  });
  results.sentiment_unique_texts = {
    per_s_cpu: rate(n, fast.cpu),
    package_as_published_per_s_cpu: rate(n, reference.cpu),
  };
  rows.push(
    {
      db: '-',
      what: 'VADER (patched), unique texts',
      'rows/s wall': rate(n, fast.wall),
      'rows/s cpu': rate(n, fast.cpu),
      'wall s': fast.wall.toFixed(2),
      'cpu s': fast.cpu.toFixed(2),
    },
    {
      db: '-',
      what: 'VADER (package), unique texts',
      'rows/s wall': rate(n, reference.wall),
      'rows/s cpu': rate(n, reference.cpu),
      'wall s': reference.wall.toFixed(2),
      'cpu s': reference.cpu.toFixed(2),
    },
  );

  if (pgAdmin && process.env.BENCH_SKIP_PG !== '1') {
    const pgTurns = Math.min(TURNS, Number(process.env.BENCH_PG_TURNS ?? 200_000));
    const pgLog = path.join(work, 'pg-log.jsonl');
    await generateLog(pgLog, pgTurns);
    const pgBank = await timeIngest('postgres', 'banking77', banking77);
    const pgRaw = await rawPostgres(pgTurns);
    const pgRun = await timeIngest('postgres', 'jsonl', pgLog);
    const pgRate = rate(pgRun.turns, pgRun.wall);
    results.postgres = {
      banking77_rows_per_s_wall: rate(pgBank.examples, pgBank.wall),
      log_turns: pgRun.turns,
      log_turns_per_s_wall: pgRate,
      raw_multi_row_per_s_wall: Math.round(pgRaw),
      ratio_vs_raw_wall: pgRate / pgRaw,
    };
    rows.push(
      {
        db: 'postgres',
        what: 'BANKING77 ingest',
        'rows/s wall': rate(pgBank.examples, pgBank.wall),
        'rows/s cpu': '-',
        'wall s': pgBank.wall.toFixed(2),
        'cpu s': '-',
      },
      {
        db: 'postgres',
        what: `JSONL log ingest (${pgTurns} turns)`,
        'rows/s wall': pgRate,
        'rows/s cpu': '-',
        'wall s': pgRun.wall.toFixed(2),
        'cpu s': '-',
      },
      {
        db: 'postgres',
        what: 'raw INSERT turns, 1,000 rows/statement',
        'rows/s wall': Math.round(pgRaw),
        'rows/s cpu': '-',
        'wall s': (pgTurns / pgRaw).toFixed(2),
        'cpu s': '-',
      },
    );
  }
  printTable(rows);
  const r = results.sqlite_log as { ratio_vs_raw_single_wall: number; ratio_vs_raw_single_cpu: number };
  console.log(
    `\nSQLite log ingestion / raw single-row insert rate: ${(r.ratio_vs_raw_single_cpu * 100).toFixed(1)} % by CPU time, ` +
      `${(r.ratio_vs_raw_single_wall * 100).toFixed(1)} % by wall time (goal >= 30 %)`,
  );
  console.log(`written to ${writeResult('ingest', results)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
