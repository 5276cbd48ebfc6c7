/**
 * Worker-thread entry: trains one classifier so the API's event loop never blocks on training.
 * Cancellation arrives through a shared Int32Array (the worker is busy in synchronous loops and
 * would not see a message until it finished).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { applyTemperature } from '../nlp/evaluation/calibration.js';
import { fitAndValidate } from '../nlp/fit.js';
import { getTrainer } from '../nlp/registry.js';
import { configureEncoders, type EncoderEnvironment } from '../nlp/encoders/environment.js';
import type { TrainResult, TrainTask, WorkerMessage } from './worker-protocol.js';

const { task, cancelFlag, encoders } = workerData as {
  task: TrainTask;
  cancelFlag: Int32Array;
  encoders: EncoderEnvironment;
};
configureEncoders(encoders);
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);

try {
  const trainer = getTrainer(task.modelType);
  const fit = await fitAndValidate(trainer, task.train, task.validation, {
    params: task.params,
    seed: task.seed,
    cacheDir: task.cacheDir,
    onEvent: (event) => post({ kind: 'event', event }),
    shouldCancel: () => Atomics.load(cancelFlag, 0) === 1,
  });
  const { classifier } = fit;
  const proba: TrainResult['proba'] = {};
  for (const [name, texts] of Object.entries(task.score)) {
    if (name === 'validation') {
      // Never the final model's own validation predictions: after a refit it has trained on them.
      if (texts.length !== task.validation.length) throw new Error('score.validation must be the validation texts');
      proba[name] = applyTemperature(fit.validationProba.slice(), classifier.labels.length, fit.temperature);
    } else {
      proba[name] = texts.length ? await classifier.predictProba(texts) : new Float32Array(0);
    }
  }
  if (task.saveDir) await classifier.save(task.saveDir);
  const validation = { proba: fit.validationProba.slice(), source: fit.validationSource };
  const buffers = [...Object.values(proba), validation.proba].map((p) => p.buffer as ArrayBuffer);
  post(
    { kind: 'result', result: { labels: [...classifier.labels], proba, validation, temperature: fit.temperature } },
    buffers,
  );
} catch (err) {
  const e = err as Error;
  post({ kind: 'error', name: e?.name ?? 'Error', message: e?.message ?? String(err), stack: e?.stack });
}
