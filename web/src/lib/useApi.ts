import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from './api';
import { useAuthVersion } from './auth';

export interface ApiState<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (skipped when null) and refetches when the path, the API key or `reload()` changes. */
export function useApi<T>(path: string | null): ApiState<T> {
  const authVersion = useAuthVersion();
  const [tick, setTick] = useState(0);
  const [state, setState] = useState<{ data?: T; error?: ApiError | Error; loading: boolean }>({ loading: !!path });
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    if (!path) {
      setState({ loading: false });
      return;
    }
    const controller = new AbortController();
    setState((s) => ({ data: s.data, loading: true }));
    api<T>(path, { signal: controller.signal }).then(
      (data) => setState({ data, loading: false }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setState({ error: error instanceof Error ? error : new Error(String(error)), loading: false });
      },
    );
    return () => controller.abort();
  }, [path, tick, authVersion]);

  return { data: state.data, error: state.error, loading: state.loading, reload };
}
