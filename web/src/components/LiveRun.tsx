import { useEffect, useMemo, useState } from 'react';
import { Chart } from './Chart';
import { StatusBadge } from './Page';
import { ErrorState } from './States';
import { api } from '../lib/api';
import { lineChart } from '../lib/charts';
import { fmtDuration, fmtPercent } from '../lib/format';
import { href } from '../lib/router';
import { num } from '../lib/shapes';
import { streamSse } from '../lib/sse';
import type { Run } from '../lib/types';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

interface Progress {
  phase?: string;
  status?: string;
  epoch?: number;
  epochs?: number;
  loss?: number;
  val_accuracy?: number;
  done?: number;
  total?: number;
  eta_s?: number;
  message?: string;
  error?: string;
}

/** One SSE event of the run (status, phase or epoch: src/training/events.ts) as the progress panel shows it. */
function toProgress(event: string, payload: Record<string, unknown>): Progress {
  return {
    phase: (payload.phase as string | undefined) ?? (event === 'epoch' ? 'train' : undefined),
    status: payload.status as string | undefined,
    epoch: num(payload.epoch),
    epochs: num(payload.epochs),
    loss: num(payload.loss),
    val_accuracy: num(payload.val_accuracy),
    done: num(payload.done),
    total: num(payload.total),
    eta_s: num(payload.eta_seconds),
    message: payload.message as string | undefined,
    error: payload.error as string | undefined,
  };
}

/** A queued or running run followed live over SSE: status, phase, epochs, loss chart, ETA and a cancel button. */
export function LiveRun({ runId, onFinished }: { runId: number; onFinished: () => void }) {
  const [progress, setProgress] = useState<Progress>({});
  const [losses, setLosses] = useState<Array<[number, number]>>([]);
  const [status, setStatus] = useState<string>('queued');
  const [streamError, setStreamError] = useState<string | null>(null);
  const [cancelError, setCancelError] = useState<Error | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    let finished = false;
    const finish = (final: string) => {
      if (finished) return;
      finished = true;
      setStatus(final);
      onFinished();
    };
    streamSse(
      `/training/runs/${runId}/events`,
      (message) => {
        let payload: Record<string, unknown>;
        try {
          payload = JSON.parse(message.data) as Record<string, unknown>;
        } catch {
          payload = { message: message.data };
        }
        const p = toProgress(message.event, payload);
        setProgress((old) => ({ ...old, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) }));
        if (p.epoch !== undefined && p.loss !== undefined)
          setLosses((l) => [...l.filter(([e]) => e !== p.epoch), [p.epoch!, p.loss!]]);
        const st = p.status ?? (message.event === 'status' ? (payload.status as string) : undefined);
        if (st) setStatus(st);
        if (st && FINISHED.has(st)) finish(st);
        if (p.phase && FINISHED.has(p.phase)) finish(p.phase);
      },
      controller.signal,
    )
      .then(async () => {
        // The stream closes when the run ends: read the final state from the run itself.
        const run = await api<Run>(`/training/runs/${runId}`);
        finish(run.status);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setStreamError(e instanceof Error ? e.message : String(e));
      });
    return () => controller.abort();
  }, [runId, onFinished]);

  const cancel = async () => {
    try {
      await api(`/training/runs/${runId}/cancel`, { method: 'POST' });
    } catch (e) {
      setCancelError(e as Error);
    }
  };

  const chart = useMemo(
    () =>
      lineChart({
        title: 'Training loss by epoch',
        series: [{ name: 'loss', points: [...losses].sort((a, b) => a[0] - b[0]) }],
        xName: 'Epoch',
        yName: 'Loss',
      }),
    [losses],
  );
  const fraction =
    progress.epoch !== undefined && progress.epochs
      ? progress.epoch / progress.epochs
      : progress.done !== undefined && progress.total
        ? progress.done / progress.total
        : undefined;
  const running = !FINISHED.has(status);

  return (
    <div className="live-run" data-testid="live-run" aria-live="polite">
      <p>
        Run <a href={href(`/runs/${runId}`)}>#{runId}</a> <StatusBadge status={status} />{' '}
        <span data-testid="run-status" hidden>
          {status}
        </span>
      </p>
      <dl className="kv">
        <dt>Phase</dt>
        <dd data-testid="run-phase">{progress.phase ?? '—'}</dd>
        <dt>Epoch</dt>
        <dd>
          {progress.epoch !== undefined ? `${progress.epoch}${progress.epochs ? ` / ${progress.epochs}` : ''}` : '—'}
        </dd>
        <dt>Loss</dt>
        <dd>{progress.loss !== undefined ? progress.loss.toFixed(4) : '—'}</dd>
        <dt>Validation accuracy</dt>
        <dd>{fmtPercent(progress.val_accuracy)}</dd>
        <dt>ETA</dt>
        <dd>{progress.eta_s !== undefined ? fmtDuration(progress.eta_s * 1000) : '—'}</dd>
      </dl>
      {fraction !== undefined && running && (
        <progress max={1} value={Math.min(1, fraction)} aria-label="Training progress">
          {Math.round(fraction * 100)} %
        </progress>
      )}
      {(progress.error || progress.message) && <p className="muted">{progress.error ?? progress.message}</p>}
      {streamError && <p className="error-text">Live progress lost: {streamError}</p>}
      {running ? (
        <button type="button" className="danger" onClick={() => void cancel()}>
          Cancel run
        </button>
      ) : (
        <p>
          {status === 'succeeded' ? (
            <a className="button primary" href={href(`/runs/${runId}`)}>
              Inspect run #{runId}
            </a>
          ) : (
            <a href={href(`/runs/${runId}`)}>See run #{runId} for the reason</a>
          )}
        </p>
      )}
      {cancelError && <ErrorState error={cancelError} />}
      {losses.length > 0 && <Chart option={chart} height={260} testId="loss-chart" />}
    </div>
  );
}
