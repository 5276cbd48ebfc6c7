import { useEffect, useState } from 'react';
import { api, ApiError } from '../../lib/api';
import { type RunCalibrationBins } from '../../lib/shared-charts';
import { type IntentScores } from '../../lib/evaluation';
import { type Run } from '../../lib/types';

/** Evaluation outputs of a run; any part can be missing (failed run, older artifact layout). */
export interface RunEvaluation {
  intents?: Record<string, IntentScores>;
  confusion?: { labels: string[]; matrix: number[][] };
  errors?: Array<Record<string, unknown>>;
  calibration?: RunCalibrationBins;
  confidence_histogram?: { edges: number[]; correct: number[]; incorrect: number[] };
  errors_total?: number;
  mcnemar?: unknown;
}

export interface RunDetail extends Run {
  metric_history?: Array<{ key: string; step: number; value: number }>;
  artifacts?: Array<{ path: string; kind: string; size_bytes: number }>;
  model_version?: number | null;
  evaluation?: RunEvaluation;
}

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
