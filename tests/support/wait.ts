/**
 * Waiting for an observable event (a row, a file, a log line, an HTTP answer) instead of sleeping
 * for a fixed time: polls `probe` until it returns something other than undefined, null or false,
 * and resolves with that value. Fails with `what` when `timeoutMs` passes first.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  what: string,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Exclude<T, undefined | null | false>> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false)
        return value as Exclude<T, undefined | null | false>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves when `stream` has printed a line matching `pattern` (a log line of a child process). */
export function waitForLine(
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
  what: string,
  timeoutMs = 60_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const onData = (chunk: Buffer | string) => {
      buffered += String(chunk);
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const line = lines.find((l) => pattern.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(line);
      }
    };
    stream.on('data', onData);
  });
}
