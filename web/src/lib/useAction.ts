import { useCallback, useState } from 'react';

/**
 * The state of a button or form that calls the API: `busy` while `run(work)` runs, and the error
 * of its last try (cleared when the next one starts).
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}
