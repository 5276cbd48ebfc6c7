/**
 * The removed-intents protocol for intent discovery (shared by bench/discovery and its test):
 * take BANKING77, remove some intents from training, train a classifier on the rest, label the
 * whole test split as if it were a conversation log, run discovery on the fallback turns, and
 * measure how well the clusters match the true intents of the pooled turns.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { labelTurns } from '../src/analytics/label.js';
import type { LabContext } from '../src/lab/context.js';
import { ingestDataset } from '../src/datasets/ingest.js';
import { discoverIntents } from '../src/discovery/discover.js';
import { selectPool, type Pool } from '../src/discovery/pool.js';
import type { DiscoveryRunView } from '../src/discovery/repository.js';
import {
  adjustedRandIndex,
  clusterPurities,
  normalizedMutualInfo,
  recoveredLabels,
} from '../src/nlp/cluster-metrics.js';
import { createRng, shuffleInPlace } from '../src/nlp/random.js';
import { trainModel } from '../src/training/pipeline.js';

/** BANKING77 beside the repository (../shared/datasets), or under CHATLAB_DATASETS when set. */
export const banking77Dir = path.join(
  process.env.CHATLAB_DATASETS ?? path.resolve(import.meta.dirname, '../../shared/datasets'),
  'banking77',
);

type Row = { text: string; category: string };

function readSplit(file: string): Row[] {
  return parse(readFileSync(path.join(banking77Dir, file), 'utf8'), { columns: true }) as Row[];
}

export interface ProtocolOptions {
  /** Intents taking part (default: all 77). */
  intents?: string[];
  /** How many of them are removed from training. */
  removeCount?: number;
  /** Seed of the choice of removed intents and of training. */
  seed?: number;
  /** Training rows per known intent (default: all). */
  trainPerIntent?: number;
  modelType?: string;
  /** Passed to discovery (default: its automatic choice). */
  minClusterSize?: number;
  onPhase?: (phase: string) => void;
}

export interface ProtocolFigures {
  pool: Pool;
  intents: number;
  removed: string[];
  log_turns: number;
  removed_turns: number;
  model_threshold: number;
  pool_size: number;
  /** Share of removed-intent turns that reached the pool. */
  removed_in_pool_share: number;
  /** Pool turns of each removed intent (an intent with fewer than the smallest cluster cannot be found). */
  removed_turns_in_pool_by_intent: Array<{ intent: string; turns: number }>;
  /** Share of the pool that belongs to removed intents. */
  pool_removed_share: number;
  clusters: number;
  noise_share: number;
  recovered: string[];
  recovered_count: number;
  ari: number;
  /** Noise counted as one cluster. */
  nmi: number;
  /** Noise points counted as clusters of their own. */
  nmi_noise_singletons: number;
  purity_by_cluster: Array<{ size: number; majority: string; purity: number; removed: boolean; suggestion: string }>;
  seconds: { train: number; label: number; discover: number };
  run: DiscoveryRunView;
}

const round = (v: number, d = 4) => Math.round(v * 10 ** d) / 10 ** d;

export interface ProtocolSetup {
  removed: string[];
  logId: number;
  logRows: Row[];
  threshold: number;
  /** The true intent of each user turn of the log, by turn id. */
  truthOf: Map<number, string>;
  seconds: { train: number; label: number };
}

/** Trains on the known intents and labels the log (the protocol up to discovery). */
export async function prepareProtocol(
  lab: LabContext & { dir: string },
  o: ProtocolOptions = {},
): Promise<ProtocolSetup> {
  const seed = o.seed ?? 42;
  const train = readSplit('train.csv');
  const test = readSplit('test.csv');
  const intents = o.intents ?? [...new Set(train.map((r) => r.category))].sort();
  const shuffled = [...intents];
  shuffleInPlace(shuffled, createRng(seed));
  const removed = shuffled.slice(0, o.removeCount ?? 10).sort();
  const known = new Set(intents.filter((i) => !removed.includes(i)));

  // The training dataset: known intents only (its own test split too).
  const perIntent = new Map<string, number>();
  const trainRows = train.filter((r) => {
    if (!known.has(r.category)) return false;
    const n = perIntent.get(r.category) ?? 0;
    perIntent.set(r.category, n + 1);
    return o.trainPerIntent === undefined || n < o.trainPerIntent;
  });
  const folder = path.join(lab.dir, 'protocol-train');
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'train.csv'), stringify(trainRows, { header: true, columns: ['text', 'category'] }));
  writeFileSync(
    path.join(folder, 'test.csv'),
    stringify(
      test.filter((r) => known.has(r.category)),
      { header: true, columns: ['text', 'category'] },
    ),
  );
  o.onPhase?.(`training ${o.modelType ?? 'tfidf-linear'} on ${known.size} intents (${trainRows.length} rows)`);
  const t0 = Date.now();
  const trainingSet = await ingestDataset(lab, { type: 'banking77', path: folder, name: 'protocol-known' });
  const run = await trainModel(lab, {
    datasetId: trainingSet.dataset.id,
    modelType: o.modelType ?? 'tfidf-linear',
    seed,
    alias: 'production',
  });
  if (run.status !== 'succeeded') throw new Error(`training failed: ${run.error}`);
  const t1 = Date.now();

  // The log: every test row of every taking-part intent, one user turn per conversation, over two weeks.
  const logRows = test.filter((r) => intents.includes(r.category));
  const start = Date.UTC(2026, 0, 5);
  const lines = logRows.map((r, i) =>
    JSON.stringify({
      conversation_id: `r${i}`,
      speaker: 'customer',
      text: r.text,
      timestamp: start + Math.floor((i / logRows.length) * 14 * 86_400_000),
    }),
  );
  const logFile = path.join(lab.dir, 'protocol-log.jsonl');
  writeFileSync(logFile, `${lines.join('\n')}\n`);
  const log = await ingestDataset(lab, { type: 'jsonl', path: logFile, name: 'protocol-log' });
  o.onPhase?.(`labelling the ${logRows.length}-turn log with model version ${run.model_version}`);
  const labelled = await labelTurns(lab, { datasetId: log.dataset.id, model: String(run.model_version) });
  const t2 = Date.now();

  // Truth per turn, through the conversation id the log was written with.
  const turns = await lab.db.kysely
    .selectFrom('turns')
    .innerJoin('conversations', 'conversations.id', 'turns.conversation_id')
    .select(['turns.id as id', 'conversations.external_id as ext'])
    .where('turns.dataset_id', '=', log.dataset.id)
    .execute();
  const truthOf = new Map(turns.map((t) => [t.id, logRows[Number(t.ext.slice(1))]!.category]));
  return {
    removed,
    logId: log.dataset.id,
    logRows,
    threshold: labelled.threshold,
    truthOf,
    seconds: { train: round((t1 - t0) / 1000, 1), label: round((t2 - t1) / 1000, 1) },
  };
}

/** The protocol's figures for a clustering of the fallback pool (cluster id per pool turn, -1 = noise). */
export function measure(
  setup: ProtocolSetup,
  pool: Array<{ id: number }>,
  clusterOf: Map<number, number>,
): Omit<ProtocolFigures, 'run' | 'seconds' | 'purity_by_cluster' | 'intents' | 'model_threshold' | 'pool'> & {
  purities: ReturnType<typeof clusterPurities>;
} {
  const { removed, logRows, truthOf } = setup;
  const truth = pool.map((t) => truthOf.get(t.id)!);
  const predicted = pool.map((t) => clusterOf.get(t.id) ?? -1);
  const removedTurns = logRows.filter((r) => removed.includes(r.category)).length;
  const removedInPool = truth.filter((t) => removed.includes(t)).length;
  const recovered = recoveredLabels(truth, predicted, removed, 0.7);
  const inPool = new Map<string, number>();
  for (const t of truth) if (removed.includes(t)) inPool.set(t, (inPool.get(t) ?? 0) + 1);
  return {
    removed_turns_in_pool_by_intent: removed.map((r) => ({ intent: r, turns: inPool.get(r) ?? 0 })),
    removed,
    log_turns: logRows.length,
    removed_turns: removedTurns,
    pool_size: pool.length,
    removed_in_pool_share: round(removedInPool / removedTurns),
    pool_removed_share: round(removedInPool / Math.max(1, pool.length)),
    clusters: new Set(predicted.filter((p) => p >= 0)).size,
    noise_share: round(predicted.filter((p) => p < 0).length / Math.max(1, pool.length)),
    recovered,
    recovered_count: recovered.length,
    ari: round(adjustedRandIndex(truth, predicted)),
    nmi: round(normalizedMutualInfo(truth, predicted)),
    nmi_noise_singletons: round(normalizedMutualInfo(truth, predicted, { noise: 'singletons' })),
    purities: clusterPurities(truth, predicted),
  };
}

/** Discovery on the prepared log's pool with the default settings, measured. */
export async function discoverAndMeasure(
  lab: LabContext,
  setup: ProtocolSetup,
  o: { pool?: Pool; minClusterSize?: number } = {},
): Promise<ProtocolFigures> {
  const pool = o.pool ?? 'fallback';
  const t0 = Date.now();
  const discovery = await discoverIntents(lab, { datasetId: setup.logId, pool, minClusterSize: o.minClusterSize });
  if (discovery.status !== 'succeeded') throw new Error(`discovery failed: ${discovery.error}`);
  const t1 = Date.now();
  const { turns } = await selectPool(lab, setup.logId, { pool, threshold: setup.threshold, lowConfidence: 0.7 });
  const members = await lab.db.kysely
    .selectFrom('discovery_members')
    .innerJoin('discovery_clusters', 'discovery_clusters.id', 'discovery_members.cluster_id')
    .select(['discovery_members.turn_id as turn_id', 'discovery_members.cluster_id as cluster_id'])
    .where('discovery_clusters.run_id', '=', discovery.id)
    .execute();
  const { purities, ...figures } = measure(setup, turns, new Map(members.map((m) => [m.turn_id, m.cluster_id])));
  const suggestionOf = new Map(discovery.clusters.map((c) => [c.id, c.name_suggestion]));
  return {
    ...figures,
    pool,
    intents: new Set(setup.logRows.map((r) => r.category)).size,
    model_threshold: round(setup.threshold),
    purity_by_cluster: purities
      .map((c) => ({
        size: c.size,
        majority: c.majority,
        purity: round(c.purity, 3),
        removed: setup.removed.includes(c.majority),
        suggestion: suggestionOf.get(c.cluster) ?? '',
      }))
      .sort((a, b) => b.size - a.size),
    seconds: { ...setup.seconds, discover: round((t1 - t0) / 1000, 1) },
    run: discovery,
  };
}

/** The whole protocol: prepare, then discover on the fallback pool. */
export async function runRemovedIntentsProtocol(
  lab: LabContext & { dir: string },
  o: ProtocolOptions = {},
): Promise<ProtocolFigures> {
  const setup = await prepareProtocol(lab, o);
  o.onPhase?.('discovering');
  return discoverAndMeasure(lab, setup, { minClusterSize: o.minClusterSize });
}
