/**
 * Long CPU work in the API process (a batch prediction, labelling a log) is cut into chunks with
 * this between them, so health checks and other requests are answered while it runs.
 * `setImmediate` (not a resolved promise) lets timers and network I/O run first.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
