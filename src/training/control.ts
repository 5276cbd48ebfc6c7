/**
 * Stopping work executing in this process. A run registers a control while it executes; three
 * different things can stop it, and they end the run differently (src/training/lifecycle.ts):
 * - `cancel`: a person asked (API, CLI, or a job heartbeat that saw `cancel_requested`): the run
 *   ends "cancelled";
 * - `lost`: this copy no longer holds the run (its job lease expired and the job was re-queued, or
 *   a sweep decided its owner was gone): it stops silently and writes nothing to the run;
 * - `release`: the process is shutting down and hands the job back to the queue: it stops
 *   silently too, and the job worker re-queues the run.
 */
import { CancelledError } from '../nlp/types.js';
import type { RunnerHandle } from './runner.js';

export type StopReason = 'cancel' | 'lost' | 'release';

/** A copy that is lost or released has nothing to save: its training thread is ended at once. */
const SILENT_STOP_GRACE_MS = 0;

export class RunControl {
  reason: StopReason | undefined;
  private handle: RunnerHandle | undefined;
  private readonly followers: RunControl[] = [];

  get cancelled(): boolean {
    return this.reason === 'cancel';
  }

  /** True when the run must be left as it is for its next holder. */
  get silent(): boolean {
    return this.reason === 'lost' || this.reason === 'release';
  }

  /** The worker thread currently training for this run. */
  attach(handle: RunnerHandle): void {
    this.handle = handle;
    if (this.reason) this.stopHandle();
  }

  /** A control that stops, for the same reason, when this one does (work done on this one's behalf). */
  follower(): RunControl {
    const follower = new RunControl();
    if (this.reason) follower.stop(this.reason);
    else this.followers.push(follower);
    return follower;
  }

  cancel(): void {
    this.stop('cancel');
  }

  /** The first reason wins: a cancel followed by a lost lease is still a cancel. */
  stop(reason: StopReason): void {
    if (this.reason) return;
    this.reason = reason;
    this.stopHandle();
    for (const follower of this.followers) follower.stop(reason);
  }

  check(): void {
    if (this.reason) throw new CancelledError();
  }

  private stopHandle(): void {
    this.handle?.cancel(this.silent ? SILENT_STOP_GRACE_MS : undefined);
  }
}

const active = new Map<number, RunControl>();

export function track(runId: number, control = new RunControl()): RunControl {
  active.set(runId, control);
  return control;
}

/** Forgets the run's control, unless another execution of the same run has registered since. */
export function untrack(runId: number, control?: RunControl): void {
  if (control === undefined || active.get(runId) === control) active.delete(runId);
}

export function isActive(runId: number): boolean {
  return active.has(runId);
}

/** Cancels a run executing in this process; false when it is not executing here. */
export function cancelActive(runId: number): boolean {
  const control = active.get(runId);
  if (!control) return false;
  control.cancel();
  return true;
}
