/**
 * Cancellation of work executing in this process. A run registers a control while it executes;
 * a cancel request (API, CLI, or a job heartbeat that saw `cancel_requested`) flips it, and the
 * current worker thread is told to stop.
 */
import { CancelledError } from '../nlp/types.js';
import type { RunnerHandle } from './runner.js';

export class RunControl {
  cancelled = false;
  private handle: RunnerHandle | undefined;

  /** The worker thread currently training for this run. */
  attach(handle: RunnerHandle): void {
    this.handle = handle;
    if (this.cancelled) handle.cancel();
  }

  cancel(): void {
    this.cancelled = true;
    this.handle?.cancel();
  }

  check(): void {
    if (this.cancelled) throw new CancelledError();
  }
}

const active = new Map<number, RunControl>();

export function track(runId: number): RunControl {
  const control = new RunControl();
  active.set(runId, control);
  return control;
}

export function untrack(runId: number): void {
  active.delete(runId);
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
