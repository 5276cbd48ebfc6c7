/**
 * The life of a run, written once for every executor (train, search, crossval):
 *
 *   take      queued -> running, only if still queued (a cancel that came first wins), owned by
 *             this execution;
 *   beat      while it executes, so a sweep can tell it from a run whose process died;
 *   steps     the executor's own story (load, train, evaluate, write artifacts), publishing
 *             progress through the scope;
 *   commit    one transaction: still running under this owner? then the artifacts, the
 *             executor's writes (e.g. registering the model) and "succeeded", all or nothing;
 *   after     nothing may undo a committed run: no cleanup, no change of outcome.
 *
 * A run that ends without a commit ends "failed" with its reason, or "cancelled" when a person
 * asked, and the executor's `onAbort` undoes what it wrote outside the run folder. A copy that
 * lost its lease or was released at shutdown stops silently: the run belongs to its next holder.
 */
import { mkdirSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { LabContext } from '../lab/context.js';
import { AppError } from '../core/errors.js';
import { isUniqueViolation } from '../db/errors.js';
import type { Database } from '../db/schema.js';
import { writeRunArtifact, type ArtifactRecord } from '../experiments/artifacts.js';
import {
  addArtifacts,
  beatRun,
  finishRun,
  getRun,
  getRunState,
  markRunning,
  type RunView,
} from '../experiments/runs.js';
import { CancelledError } from '../nlp/types.js';
import { RunControl, track, untrack } from './control.js';
import { publish } from './events.js';
import { newOwner } from './ownership.js';

export interface PhaseProgress {
  done?: number;
  total?: number;
  message?: string;
}

/** What an executor's steps see of the run they execute. */
export interface RunScope {
  readonly lab: LabContext;
  readonly runId: number;
  readonly runDir: string;
  readonly control: RunControl;
  /** A line of the run's log (training.log). */
  say(line: string): void;
  /** Logs and publishes the phase the run has reached. */
  phase(name: string, progress?: PhaseProgress): void;
  /** The log so far, one timestamped line each. */
  logText(): string;
  /** Undoes work outside the run folder if the run ends failed or cancelled (not after a commit). */
  onAbort(undo: (ending: { status: 'failed' | 'cancelled'; reason: string }) => void | Promise<void>): void;
}

/** What a successful execution commits. */
export interface RunCompletion {
  metrics: Record<string, unknown>;
  artifacts: ArtifactRecord[];
  /**
   * The executor's writes inside the commit transaction (registering a model version). The whole
   * transaction is retried when it loses a race on a unique key (two runs taking one version number).
   */
  commit?: (trx: Kysely<Database>) => Promise<void>;
}

export interface LifecycleOptions {
  runId: number;
  runDir: string;
  /** The job worker's control (lease lost, release at shutdown); a new one otherwise. */
  control?: RunControl;
  /**
   * Write training.log into the run folder when the run fails (on success the executor writes it
   * with its other artifacts, so that it is listed and checksummed).
   */
  keepLog?: boolean;
}

/** The run is no longer this execution's: it was re-queued for another holder. */
class RunLostError extends Error {
  constructor(runId: number) {
    super(`run ${runId} is no longer held by this process`);
    this.name = 'RunLostError';
  }
}

const COMMIT_ATTEMPTS = 3;

/** How often an executing run beats: several beats fit in one lease (JOB_LEASE_SECONDS). */
export function runBeatMs(lab: LabContext): number {
  return Math.min(5000, Math.floor(((lab.settings.jobLeaseSeconds ?? 60) * 1000) / 4));
}

export function errorText(err: unknown): string {
  if (err instanceof AppError) return err.message;
  if (err instanceof Error) return err.message.split('\n')[0]!;
  return String(err);
}

/**
 * Executes the run `options.runId` through `steps`. Resolves with the run as it ended (or as it
 * stands, when another holder has it); rejects only when the database itself fails.
 */
export async function executeLifecycle(
  lab: LabContext,
  options: LifecycleOptions,
  steps: (scope: RunScope) => Promise<RunCompletion>,
): Promise<RunView> {
  const { runId, runDir } = options;
  const control = track(runId, options.control ?? new RunControl());
  const owner = newOwner();
  const log: string[] = [];
  const undos: Array<Parameters<RunScope['onAbort']>[0]> = [];
  const scope: RunScope = {
    lab,
    runId,
    runDir,
    control,
    say: (line) => log.push(`${new Date().toISOString()} ${line}`),
    phase(name, progress = {}) {
      this.say(`phase ${name}${progress.message ? `: ${progress.message}` : ''}`);
      publish({ type: 'phase', run_id: runId, phase: name, ...progress });
    },
    logText: () => log.join('\n') + '\n',
    onAbort: (undo) => void undos.push(undo),
  };
  let beat: NodeJS.Timeout | undefined;
  try {
    if (!(await markRunning(lab, runId, { runDir, owner }))) return await getRun(lab, runId);
    beat = setInterval(() => {
      beatRun(lab, runId, owner).then(
        (held) => held || control.stop('lost'),
        () => {}, // the database may be briefly unavailable; the next beat tries again
      );
    }, runBeatMs(lab));
    beat.unref();
    mkdirSync(runDir, { recursive: true });
    publish({ type: 'status', run_id: runId, status: 'running' });

    let completion: RunCompletion;
    try {
      completion = await steps(scope);
      control.check();
      await commit(lab, runId, owner, completion);
    } catch (err) {
      return await endUncommitted(lab, scope, err, options.keepLog ?? false, undos);
    }
    // Committed: the outcome is final whatever happens from here.
    publish({ type: 'status', run_id: runId, status: 'succeeded' });
    return await getRun(lab, runId);
  } finally {
    if (beat) clearInterval(beat);
    untrack(runId, control);
  }
}

async function commit(lab: LabContext, runId: number, owner: string, completion: RunCompletion): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await lab.db.kysely.transaction().execute(async (trx) => {
        const run = await getRunState(lab, runId, trx);
        if (run?.status === 'running' && run.owner !== owner) throw new RunLostError(runId);
        if (run?.status === 'queued') throw new RunLostError(runId);
        // Ended by someone else meanwhile (a cancel, a sweep): it stays as they left it.
        if (run?.status !== 'running') throw new CancelledError();
        await addArtifacts(lab, runId, completion.artifacts, trx);
        await completion.commit?.(trx);
        await finishRun(lab, runId, { status: 'succeeded', metrics: completion.metrics }, trx);
      });
      return;
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= COMMIT_ATTEMPTS) throw err;
    }
  }
}

async function endUncommitted(
  lab: LabContext,
  scope: RunScope,
  err: unknown,
  keepLog: boolean,
  undos: Array<Parameters<RunScope['onAbort']>[0]>,
): Promise<RunView> {
  const { runId, control } = scope;
  if (err instanceof RunLostError) control.stop('lost');
  if (control.silent) {
    // Another holder has (or will have) the run and the same folders: touch nothing.
    return getRun(lab, runId);
  }
  const cancelled = err instanceof CancelledError || control.cancelled;
  const status = cancelled ? 'cancelled' : 'failed';
  const reason = cancelled ? 'cancelled by request' : errorText(err);
  scope.say(`${status}: ${reason}`);
  for (const undo of undos.reverse()) await undo({ status, reason });
  if (keepLog) {
    try {
      writeRunArtifact(scope.runDir, 'log', scope.logText());
    } catch {
      // The run folder may be gone; the reason is in the database.
    }
  }
  await finishRun(lab, runId, { status, error: reason });
  const run = await getRun(lab, runId);
  publish({ type: 'status', run_id: runId, status: run.status, error: run.error });
  return run;
}
