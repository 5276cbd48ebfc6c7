import { statSync } from 'node:fs';
import path from 'node:path';
import type { Transaction } from 'kysely';
import { sentimentOf } from '../conversations/sentiment.js';
import type { LabContext } from '../lab/context.js';
import { ConflictError, ValidationError } from '../core/errors.js';
import type { Database } from '../db/schema.js';
import { contentChecksum } from './checksum.js';
import { nameProblem, shownPath, withDatasetRoot } from './files.js';
import { loaderFor } from './loaders/index.js';
import { assertRealPathInside } from './paths.js';
import { preprocessText, resolvePreprocess } from './preprocess.js';
import { toView } from './repository.js';
import type { DatasetSummary } from './summary.js';
import type { DatasetView, IngestProgress, IngestRequest, LoadedRecord, ValidationFinding } from './types.js';
import { computeReport, ValidationReportBuilder } from './validation.js';
import {
  postgresWriter,
  sqliteWriter,
  type BatchWriter,
  type ConversationRow,
  type ExampleRow,
  type TurnRow,
} from './writer.js';
import { dict } from '../core/dict.js';
import { sqlitePath } from '../config/settings.js';
import { ingestInWorker } from './ingest-runner.js';
import { INDEX_ONLY_ROLLUP_TABLES } from '../analytics/rollups/maintain.js';
import { ConversationRollup, DailyRollups } from '../analytics/rollups/accumulate.js';
import { buildFlows } from '../analytics/rollups/flows.js';
import { buildSessions } from '../analytics/rollups/sessions.js';
import { analyzeAfterBulkWrite } from '../db/statistics.js';

/** Every table an ingestion writes (their statistics are refreshed after a large one). */
const INGESTION_TABLES = ['datasets', 'examples', 'conversations', 'turns', ...INDEX_ONLY_ROLLUP_TABLES];
import { beatIngestion, discardIngestion, newIngestOwner } from './ingest-ownership.js';

export type { IngestRequest } from './types.js';

/** An ingestion's outcome; `summary` is set when `withSummary` asked a worker thread to compute it. */
export interface IngestResult {
  dataset: DatasetView;
  created: boolean;
  summary?: DatasetSummary;
}

/** A conversation of this ingestion: its id, and its rollup (which also counts its turns and times). */
interface ConversationState {
  id: number;
  rollup: ConversationRollup;
}

/**
 * Loads a dataset in one of the publishers' layouts and stores it, all in one transaction: any
 * bad row anywhere leaves nothing behind. Identical content (same checksum) returns the dataset
 * already stored unless `newVersion` asks for version n+1.
 *
 * Inputs of INGEST_WORKER_MIN_KB or more are ingested in a worker thread with its own database
 * connection (the same `ingestHere`, the same transaction), so the API keeps answering while a
 * large log is parsed, scored and stored; smaller ones stay in process, where starting a thread
 * would cost more than the ingestion.
 */
export async function ingestDataset(
  lab: LabContext,
  request: IngestRequest,
  onProgress?: (p: IngestProgress) => void,
): Promise<IngestResult> {
  if (inWorker(lab, request)) return ingestInWorker(lab, request, onProgress);
  return ingestHere(lab, request, onProgress);
}

/** The ingestion itself, on `lab`'s connection in this thread (the worker thread calls this). */
export async function ingestHere(
  lab: LabContext,
  request: IngestRequest,
  onProgress?: (p: IngestProgress) => void,
): Promise<{ dataset: DatasetView; created: boolean }> {
  // Every file is opened non-blocking, regular files only, and (API) confined to allowedRoot at
  // the moment it is opened, for the checksum and for every loader.
  return withDatasetRoot(request.allowedRoot, () => ingestFiles(lab, request, onProgress));
}

function inWorker(lab: LabContext, request: IngestRequest): boolean {
  // An in-memory SQLite database exists only on this thread's connection.
  if (lab.db.dialect === 'sqlite' && sqlitePath(lab.settings.databaseUrl) === ':memory:') return false;
  const minBytes = lab.settings.ingestWorkerMinKb * 1024;
  if (minBytes === 0) return true;
  let bytes = 0;
  try {
    // Only sizes: the worker locates, confines and reads the files itself.
    for (const f of loaderFor(request.type).locate(path.resolve(request.path))) bytes += statSync(f).size;
  } catch {
    return false; // the in-process path reports the problem with its usual message
  }
  return bytes >= minBytes;
}

async function ingestFiles(
  lab: LabContext,
  request: IngestRequest,
  onProgress?: (p: IngestProgress) => void,
): Promise<{ dataset: DatasetView; created: boolean }> {
  const loader = loaderFor(request.type);
  const source = path.resolve(request.path);
  const files = loader.locate(source);
  if (request.allowedRoot)
    for (const f of files) assertRealPathInside(request.allowedRoot, f, path.relative(request.allowedRoot, f));
  const preprocess = resolvePreprocess(request.preprocess);
  const mapping = request.mapping ?? {};
  const name = request.name?.trim() || path.basename(source, path.extname(source));
  if (name.length > 200)
    throw new ValidationError('name is too long (200 characters at most)', [
      { field: 'name', problem: 'longer than 200 characters' },
    ]);
  const nameIssue = nameProblem(name, 'name');
  if (nameIssue) throw new ValidationError(`dataset ${nameIssue}`, [{ field: 'name', problem: nameIssue }]);
  const checksum = await contentChecksum(source, files, {
    type: request.type,
    preprocess,
    mapping,
    ...(request.language ? { language: request.language } : {}),
  });
  const totalBytes = files.reduce((sum, f) => sum + statSync(f).size, 0);

  let created: DatasetView;
  const owner = newIngestOwner();
  const opened = await lab.db.kysely.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('datasets')
      .selectAll()
      .where('checksum', '=', checksum)
      .where('status', '=', 'ready')
      .orderBy('version', 'desc')
      .executeTakeFirst();
    if (existing && !request.newVersion) return { existing };

    // Every status counts here: an ingestion in progress holds its (name, version).
    const latest = await trx
      .selectFrom('datasets')
      .select(['version', 'status'])
      .where('name', '=', name)
      .orderBy('version', 'desc')
      .executeTakeFirst();
    if (latest && !request.newVersion) {
      const what =
        latest.status === 'ingesting'
          ? `is being ingested right now (version ${latest.version})`
          : `already exists (version ${latest.version}) with different content`;
      throw new ConflictError(
        `a dataset named "${name}" ${what}; ` +
          'pass --new-version (API: "new_version": true) to store the next version, or choose another name',
        [
          {
            field: 'name',
            problem: latest.status === 'ingesting' ? 'is being ingested' : 'already exists with different content',
          },
        ],
      );
    }
    const version = (latest?.version ?? 0) + 1;
    const { id } = await trx
      .insertInto('datasets')
      .values({
        name,
        type: request.type,
        source: request.sourceLabel ?? source,
        checksum,
        version,
        preprocess: JSON.stringify(preprocess),
        split_counts: '{}',
        label_count: 0,
        example_count: 0,
        conversation_count: 0,
        turn_count: 0,
        status: 'ingesting',
        ingest_owner: owner,
        ingest_heartbeat_at: Date.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id };
  });
  if ('existing' in opened) return { dataset: toView(opened.existing!), created: false };
  const id = opened.id;

  // From here the rows are committed in chunks behind the `ingesting` status; any failure removes
  // them, so from the outside the ingestion still stores all or nothing.
  try {
    const counts = await storeRecords(lab, id, owner, request, files, source, preprocess, (p) =>
      onProgress?.({ ...p, totalBytes }),
    );
    // The flow and session rollups count the conversation rollups just stored.
    await lab.db.kysely.transaction().execute(async (trx) => {
      await buildFlows(trx, id);
      await buildSessions(trx, id);
      await beatIngestion(trx, id, owner);
    });
    // Summed as the examples were written, or read back (outside any transaction: no writer waits).
    const report = counts.report?.build(null) ?? (await computeReport(lab.db.kysely, id, null));
    report.import_findings = counts.findings;
    const row = await lab.db.kysely.transaction().execute(async (trx) => {
      await beatIngestion(trx, id, owner);
      await trx
        .updateTable('datasets')
        .set({
          split_counts: JSON.stringify(counts.splits),
          label_count: counts.labels.size,
          example_count: counts.examples,
          conversation_count: counts.conversations,
          turn_count: counts.turns,
          metadata: counts.metadata ? JSON.stringify(counts.metadata) : null,
          validation: JSON.stringify(report),
          status: 'ready',
          ingest_owner: null,
          ingest_heartbeat_at: null,
        })
        .where('id', '=', id)
        .execute();
      return trx.selectFrom('datasets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    });
    created = toView(row);
  } catch (err) {
    try {
      await discardIngestion(lab, id);
    } catch {
      // Left `ingesting` under this process's owner: the next start-up sweep removes it.
    }
    throw err;
  }
  // Fresh planner statistics for the first analytics requests on the new rows (PostgreSQL).
  const { turn_count: turns, example_count: examples } = created;
  const grown = turns >= examples ? { table: 'turns', added: turns } : { table: 'examples', added: examples };
  await analyzeAfterBulkWrite(lab.db, grown, INGESTION_TABLES, INDEX_ONLY_ROLLUP_TABLES);
  return { dataset: created, created: true };
}

/**
 * Parses, scores and inserts the records, committing about every `ingestCommitRows` rows (each
 * commit also beats for the owner) so no transaction holds SQLite's single writer for long.
 */
async function storeRecords(
  lab: LabContext,
  datasetId: number,
  owner: string,
  request: IngestRequest,
  files: string[],
  source: string,
  preprocess: ReturnType<typeof resolvePreprocess>,
  progress: (p: { rows: number; bytesRead: number }) => void,
) {
  // SQLite's prepared statements live on the connection and serve every chunk's transaction.
  const sqlite = lab.db.dialect === 'sqlite' && lab.db.sqlite ? sqliteWriter(lab.db.sqlite, datasetId) : undefined;
  const writerFor = (trx: Transaction<Database>) => sqlite ?? postgresWriter(trx, datasetId);
  const loader = loaderFor(request.type);
  const conversations = new Map<string, ConversationState>();
  const daily = new DailyRollups();
  const splits = dict<number>();
  const labels = new Set<string>();
  let examples = 0;
  let turns = 0;
  let rows = 0;
  let bytesRead = 0;
  let metadata: Record<string, unknown> | undefined;
  const findings: ValidationFinding[] = [];
  // Null once the writer could not name the ids of the examples it wrote.
  let report: ValidationReportBuilder | null = new ValidationReportBuilder();

  const input = {
    path: source,
    files,
    mapping: request.mapping ?? {},
    language: request.language,
    onBytes: (n: number) => (bytesRead += n),
  };
  const storeBatch = async (writer: BatchWriter, batch: LoadedRecord[]): Promise<void> => {
    const exampleRows: ExampleRow[] = [];
    const turnRows: TurnRow[] = [];
    const newConversations: ConversationRow[] = [];
    const newStates: ConversationState[] = [];
    // First the conversations this batch starts, so their turns can reference their ids.
    for (const r of batch) {
      if (r.kind !== 'turn' || conversations.has(r.conversation)) continue;
      const state: ConversationState = { id: 0, rollup: new ConversationRollup() };
      conversations.set(r.conversation, state);
      newStates.push(state);
      newConversations.push({
        external_id: r.conversation,
        split: r.split,
        metadata: r.conversationMetadata ? JSON.stringify(r.conversationMetadata) : null,
      });
    }
    if (newConversations.length > 0) {
      const ids = await writer.insertConversations(newConversations);
      ids.forEach((id, i) => (newStates[i]!.id = id));
    }
    for (const r of batch) {
      if (r.kind === 'example') {
        const norm = preprocessText(r.text, preprocess);
        if (preprocess.dropEmpty && norm === '') continue;
        exampleRows.push({
          split: r.split,
          text: r.text,
          norm_text: norm,
          label: r.label,
          metadata: r.metadata ? JSON.stringify(r.metadata) : null,
        });
        splits[r.split] = (splits[r.split] ?? 0) + 1;
        if (r.label !== null) labels.add(r.label);
      } else if (r.kind === 'dataset') {
        if (r.metadata) metadata = { ...metadata, ...r.metadata };
        for (const f of r.findings ?? []) findings.push({ ...f, source: 'import' });
      } else {
        if (preprocess.dropEmpty && r.text.trim() === '') continue;
        const state = conversations.get(r.conversation)!;
        const turn: TurnRow = {
          conversation_id: state.id,
          idx: state.rollup.turns, // the turns stored before this one
          speaker: r.speaker,
          text: r.text,
          intent: r.intent,
          predicted_intent: r.predictedIntent ?? null,
          confidence: r.confidence ?? null,
          sentiment: r.speaker === 'USER' ? sentimentOf(r.text) : null,
          ts: r.ts,
          metadata: r.metadata ? JSON.stringify(r.metadata) : null,
        };
        turnRows.push(turn);
        state.rollup.add(turn);
        daily.add(turn);
      }
    }
    const exampleIds = await writer.insertExamples(exampleRows);
    if (exampleIds && report) {
      for (let i = 0; i < exampleRows.length; i++) {
        const { split, text, label } = exampleRows[i]!;
        report.add({ id: exampleIds[i]!, split, text, label });
      }
    } else report = null;
    await writer.insertTurns(turnRows);
    examples += exampleRows.length;
    turns += turnRows.length;
    rows += batch.length;
    progress({ rows, bytesRead });
  };

  const commitRows = lab.settings.ingestCommitRows;
  const batches = loader.read(input)[Symbol.asyncIterator]();
  try {
    for (let done = false; !done;) {
      await lab.db.kysely.transaction().execute(async (trx) => {
        const writer = writerFor(trx);
        const chunkEnd = rows + commitRows;
        while (rows < chunkEnd) {
          const next = await batches.next();
          if (next.done) {
            done = true;
            break;
          }
          await storeBatch(writer, next.value);
        }
        await beatIngestion(trx, datasetId, owner);
      });
      lab.db.afterBulkCommit?.();
    }
  } finally {
    await batches.return?.();
  }
  if (examples === 0 && turns === 0) {
    throw new ValidationError(
      `${shownPath(source)}: no rows to ingest${preprocess.dropEmpty ? ' (all texts were empty)' : ''}`,
      [{ field: 'path', problem: 'no rows' }],
    );
  }
  // Conversation totals and rollups, in transactions of about `commitRows` turns each; then the
  // daily rollups. Readers ignore them until the dataset is marked ready.
  const stats = [...conversations.values()];
  for (let i = 0; i < stats.length;) {
    const first = i;
    for (let n = 0; i < stats.length && n < commitRows; i++) n += stats[i]!.rollup.turns;
    const chunk = stats.slice(first, i);
    await lab.db.kysely.transaction().execute(async (trx) => {
      const writer = writerFor(trx);
      await writer.finishConversations(
        chunk.map(({ id, rollup: r }) => ({ id, turn_count: r.turns, started_at: r.first, ended_at: r.last })),
      );
      const withTurns = chunk.filter((s) => s.rollup.turns > 0);
      await writer.insertConversationRollups(withTurns.map((s) => s.rollup.row(s.id)));
      await writer.insertConversationIntents(withTurns.flatMap((s) => s.rollup.intentRows(s.id)));
      await beatIngestion(trx, datasetId, owner);
    });
    lab.db.afterBulkCommit?.();
  }
  await lab.db.kysely.transaction().execute(async (trx) => {
    await writerFor(trx).insertDailyRollups(daily.list());
    await beatIngestion(trx, datasetId, owner);
  });
  return {
    splits,
    labels,
    examples,
    turns,
    conversations: conversations.size,
    metadata,
    findings,
    report,
  };
}
