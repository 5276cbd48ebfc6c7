import type { ReactNode } from 'react';
import { LiveRun } from './LiveRun';
import { ErrorState } from './States';
import { api } from '../lib/api';
import type { QueuedRun } from '../lib/types';
import { useAction } from '../lib/useAction';

/**
 * Queues a run (training, search, cross-validation) from a form: `launch(body)` posts it with
 * `async_run: true` and hands the queued run's id to `onStarted`; `busy` and `error` drive the form.
 */
export function useRunLauncher(path: string, onStarted: (runId: number) => void) {
  const action = useAction();
  const launch = (body: Record<string, unknown>) =>
    action.run(async () => {
      const queued = await api<QueuedRun>(path, { method: 'POST', body: { ...body, async_run: true } });
      onStarted(queued.run_id);
    });
  return { ...action, launch };
}

/** The submit button of a run form, and the error its last try answered. */
export function LaunchButton({
  launcher,
  label,
  disabled = false,
  testId,
}: {
  launcher: { busy: boolean; error: Error | null };
  label: string;
  disabled?: boolean;
  testId?: string;
}) {
  return (
    <>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={launcher.busy || disabled} data-testid={testId}>
          {launcher.busy ? 'Starting…' : label}
        </button>
      </div>
      {launcher.error && <ErrorState error={launcher.error} />}
    </>
  );
}

/** The run a form started, followed live, with a link to the page that shows its result. */
export function StartedRun({
  runId,
  onFinished,
  resultHref,
  resultLabel,
  testId,
}: {
  runId: number;
  onFinished: () => void;
  resultHref: string;
  resultLabel: ReactNode;
  testId: string;
}) {
  return (
    <>
      <LiveRun key={runId} runId={runId} onFinished={onFinished} />
      <p>
        <a className="button" href={resultHref} data-testid={testId}>
          {resultLabel}
        </a>
      </p>
    </>
  );
}
