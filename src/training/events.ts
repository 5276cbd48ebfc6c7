/**
 * In-process progress of runs, for Server-Sent Events and CLI progress bars. Each run keeps its
 * recent events so a client connecting late sees where the run is.
 */
import { EventEmitter } from 'node:events';
import type { RunEvent } from '../api/contracts/run-events.js';

/** What a run's event stream carries: declared in the API contract (src/api/contracts/run-events.ts). */
export type { RunEvent } from '../api/contracts/run-events.js';

const emitter = new EventEmitter();
emitter.setMaxListeners(0);
const recent = new Map<number, RunEvent[]>();
const KEEP = 200;
const sinks = new Set<(event: RunEvent) => void>();

/**
 * Also hands every published event to `sink` (scale-out: src/workers/event-store.ts persists them
 * so any API instance can stream them). Returns the function that removes the sink.
 */
export function addEventSink(sink: (event: RunEvent) => void): () => void {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

export function publish(event: RunEvent): void {
  for (const sink of sinks) sink(event);
  const list = recent.get(event.run_id) ?? [];
  list.push(event);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
  recent.set(event.run_id, list);
  emitter.emit(`run:${event.run_id}`, event);
  // Forget finished runs after a while; the database keeps their history.
  if (event.type === 'status' && ['succeeded', 'failed', 'cancelled'].includes(event.status)) {
    setTimeout(() => recent.delete(event.run_id), 10 * 60_000).unref();
  }
}

export function recentEvents(runId: number): RunEvent[] {
  return [...(recent.get(runId) ?? [])];
}

export function subscribe(runId: number, listener: (event: RunEvent) => void): () => void {
  emitter.on(`run:${runId}`, listener);
  return () => emitter.off(`run:${runId}`, listener);
}
