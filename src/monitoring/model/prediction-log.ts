/**
 * The in-process buffer in front of the prediction log. The serving path only appends to an
 * array; rows are written in batches when the buffer reaches PREDICTION_LOG_BATCH, at least every
 * PREDICTION_LOG_FLUSH_MS, and on shutdown (`close`). A crash loses at most the last interval.
 * A failing write is logged and the batch kept for the next flush (up to a cap), so a database
 * hiccup loses nothing and an outage cannot exhaust memory.
 */
import type { LabContext } from '../../lab/context.js';
import type { Logger } from '../../core/logger.js';
import { applyRetention, logDatasetId, writePredictions, type PredictionRecord } from './log-store.js';
import { loadVocabulary } from './baseline.js';

export type { PredictionRecord };

/**
 * Rows per write transaction. SQLite writes are synchronous, so each transaction holds the event
 * loop; 100 rows (a few ms) between yields keeps a flush from stalling the requests it serves.
 */
const WRITE_CHUNK = 100;

/** How often old rows are deleted (and once at the first flush). */
const RETENTION_INTERVAL_MS = 10 * 60_000;

export class PredictionLog {
  private buffer: PredictionRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<number> | null = null;
  private datasetId: number | null = null;
  private vocabularies = new Map<string, ReadonlySet<string> | null>();
  private lastRetention = 0;
  private closed = false;
  /** Predictions dropped because the buffer was over its cap during a database outage. */
  dropped = 0;
  written = 0;

  constructor(
    private readonly lab: LabContext,
    private readonly logger?: Pick<Logger, 'warn'>,
  ) {}

  get enabled(): boolean {
    return this.lab.settings.predictionLog !== 'off' && !this.closed;
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Called by the serving path: constant time, no I/O. */
  record(entry: PredictionRecord): void {
    if (!this.enabled) return;
    const cap = this.lab.settings.predictionLogBatch * 20;
    if (this.buffer.length >= cap) {
      this.dropped++;
      return;
    }
    this.buffer.push(entry);
    if (this.buffer.length >= this.lab.settings.predictionLogBatch) {
      // One size-triggered flush at a time: a flush in progress re-checks the size when it ends.
      if (!this.flushing) void this.flush().catch(() => {});
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush().catch(() => {});
      }, this.lab.settings.predictionLogFlushMs);
      this.timer.unref();
    }
  }

  /** Writes everything buffered so far; resolves with the number of rows written by this call. */
  async flush(): Promise<number> {
    // One flush at a time: a second caller waits for the running one, then writes what is left.
    while (this.flushing) await this.flushing.catch(() => 0);
    if (this.buffer.length === 0) return 0;
    const mine = this.writeBuffered();
    this.flushing = mine;
    try {
      return await mine;
    } finally {
      if (this.flushing === mine) this.flushing = null;
      // Predictions that arrived during the write may already fill another batch.
      if (!this.closed && this.buffer.length >= this.lab.settings.predictionLogBatch) {
        void this.flush().catch(() => {});
      }
    }
  }

  private async writeBuffered(): Promise<number> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.buffer;
    this.buffer = [];
    const mode = this.lab.settings.predictionLog === 'hashed' ? 'hashed' : 'on';
    try {
      this.datasetId ??= await logDatasetId(this.lab);
      await this.loadVocabularies(batch);
      let written = 0;
      // Small transactions with a yield between them (see WRITE_CHUNK).
      const size = WRITE_CHUNK;
      for (let i = 0; i < batch.length; i += size) {
        written += await writePredictions(this.lab, this.datasetId, batch.slice(i, i + size), {
          mode,
          vocabulary: (name, version) => this.vocabularies.get(`${name}:${version}`) ?? null,
        });
        if (i + size < batch.length) await new Promise((resolve) => setImmediate(resolve));
      }
      this.written += written;
    } catch (err) {
      // The log dataset may have been deleted: look it up again next time.
      this.datasetId = null;
      this.buffer = batch.concat(this.buffer);
      this.logger?.warn({ err: (err as Error).message, pending: this.buffer.length }, 'prediction log write failed');
      throw err;
    }
    if (Date.now() - this.lastRetention > RETENTION_INTERVAL_MS) {
      this.lastRetention = Date.now();
      await applyRetention(this.lab, {
        days: this.lab.settings.predictionLogDays,
        maxRows: this.lab.settings.predictionLogMaxRows,
      }).catch((err: unknown) => this.logger?.warn({ err: (err as Error).message }, 'prediction log retention failed'));
    }
    return batch.length;
  }

  private async loadVocabularies(batch: PredictionRecord[]): Promise<void> {
    const versions = new Map<string, [string, number]>();
    for (const r of batch) versions.set(`${r.modelName}:${r.modelVersion}`, [r.modelName, r.modelVersion]);
    for (const [key, [name, version]] of versions) {
      // A version without a baseline yet is asked again at later flushes.
      if (this.vocabularies.get(key)) continue;
      this.vocabularies.set(key, await loadVocabulary(this.lab, name, version));
    }
  }

  /** Flushes what is buffered and stops accepting records (shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closed = true;
    // A flush in progress, then what is left; a database that keeps failing gets three tries.
    for (let attempt = 0; attempt < 3 && (this.buffer.length > 0 || this.flushing); attempt++) {
      await this.flush().catch(() => {});
    }
  }
}
