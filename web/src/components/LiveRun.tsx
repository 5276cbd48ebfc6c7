import { useEffect, useMemo, useState } from 'react';
import { Chart } from './Chart';
import { StatusBadge } from './Page';
import { ErrorState } from './States';
import { api } from '../lib/api';
import { lineChart } from '../lib/charts';
import { fmtDuration, fmtPercent } from '../lib/format';
import { href } from '../lib/router';
import { streamRunEvents } from '../lib/sse';
import type { Run, RunEvent } from '../lib/types';

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

/** What one event of the run's stream changes in the progress panel. */
export function toProgress(event: RunEvent): Progress {
  switch (event.type) {
    case 'status':
      return { status: event.status, error: event.error ?? undefined };
    case 'phase':
      return { phase: event.phase, done: event.done, total: event.total, message: event.message };
    case 'epoch':
      return {
        phase: 'train',
        epoch: event.epoch,
        epochs: event.epochs,
        loss: event.loss,
        val_accuracy: event.val_accuracy,
        eta_s: event.eta_seconds ?? undefined,
      };
  }
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
    streamRunEvents(
      runId,
      (event) => {
        const p = toProgress(event);
        setProgress((old) => ({ ...old, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) }));
        if (p.epoch !== undefined && p.loss !== undefined)
          setLosses((l) => [...l.filter(([e]) => e !== p.epoch), [p.epoch!, p.loss!]]);
        if (p.status) setStatus(p.status);
        if (p.status && FINISHED.has(p.status)) finish(p.status);
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
