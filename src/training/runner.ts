/**
 * Runs a TrainTask in a worker thread and resolves with the scored probabilities. A cancel sets
 * the shared flag (the trainer stops at its next check) and, if the trainer does not stop within
 * a grace period, terminates the thread.
 */
import type { Worker } from 'node:worker_threads';
import { startWorkerModule } from '../core/worker-thread.js';
import { AppError } from '../core/errors.js';
import { CancelledError, type TrainingEvent } from '../nlp/types.js';
import type { TrainResult, TrainTask, WorkerMessage } from './worker-protocol.js';
import { encoderEnvironment } from '../nlp/encoders/environment.js';

export interface RunnerHandle {
  result: Promise<TrainResult>;
  /** Asks the trainer to stop; the thread is terminated after `graceMs` if it has not. */
  cancel(graceMs?: number): void;
}

const startWorker = (workerData: unknown): Worker => startWorkerModule(import.meta.url, 'worker', { workerData });

export function trainInWorker(
  task: TrainTask,
  onEvent?: (event: TrainingEvent) => void,
  graceMs = 10_000,
): RunnerHandle {
  const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
  let worker: Worker;
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  const result = new Promise<TrainResult>((resolve, reject) => {
    worker = startWorker({ task, cancelFlag, encoders: encoderEnvironment() });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (killTimer) clearTimeout(killTimer);
      fn();
      void worker.terminate();
    };
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'event') onEvent?.(message.event);
      else if (message.kind === 'result') settle(() => resolve(message.result));
      else {
        settle(() => {
          if (message.name === 'CancelledError' || cancelled) reject(new CancelledError());
          else if (message.name === 'ValidationError') reject(new AppError('VALIDATION_ERROR', message.message, 400));
          else reject(Object.assign(new Error(message.message), { stack: message.stack }));
        });
      }
    });
    worker.on('error', (err) => settle(() => reject(cancelled ? new CancelledError() : err)));
    worker.on('exit', (code) =>
      settle(() => reject(cancelled ? new CancelledError() : new Error(`training worker exited with code ${code}`))),
    );
  });
  return {
    result,
    cancel(stopGraceMs = graceMs) {
      if (cancelled) return;
      cancelled = true;
      Atomics.store(cancelFlag, 0, 1);
      killTimer = setTimeout(() => void worker.terminate(), stopGraceMs);
      killTimer.unref();
    },
  };
}
