/**
 * Worker-thread entry for parallel-embed.ts: loads the named sentence encoder in this thread and
 * embeds each batch it is sent (after a `ready` message once the model is loaded), answering with the vectors (the buffer is transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { resolveEncoder } from './encoders/index.js';

const encoder = await resolveEncoder((workerData as { encoder: string }).encoder);

// Load the model before saying so: batches are only sent once the worker can embed them at once.
await encoder.embedBatch(['ready']);
parentPort!.postMessage({ ready: true });

parentPort!.on('message', (m: { id: number; texts: string[] }) => {
  encoder.embedBatch(m.texts).then(
    (vectors) => parentPort!.postMessage({ id: m.id, vectors }, [vectors.buffer as ArrayBuffer]),
    (e: unknown) => parentPort!.postMessage({ id: m.id, error: String((e as Error)?.stack ?? e) }),
  );
});
