import { useEffect, useState } from 'react';
import { api, ApiError } from '../../lib/api';
import type { RunEvaluation } from '../../../../src/api/contracts/experiments.js';

export type { RunEvaluation };

/** Reads the evaluation of a run from `/training/runs/{id}/evaluation`; null when the run has none. */
export async function loadEvaluation(id: string | number): Promise<RunEvaluation | null> {
  try {
    return await api<RunEvaluation>(`/training/runs/${id}/evaluation`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export function useEvaluation(id: string | number, enabled: boolean) {
  const [state, setState] = useState<{ data?: RunEvaluation | null; error?: Error }>({});
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    loadEvaluation(id).then(
      (data) => live && setState({ data }),
      (error: Error) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [id, enabled]);
  return state;
}
