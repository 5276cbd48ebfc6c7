import type { ReactNode } from 'react';
import { ApiError } from '../lib/api';

export function Loading({ what = 'data' }: { what?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

/** An empty state that names the command or button that fills it. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" data-testid="empty-state">
      <strong>{title}</strong>
      {children && <div className="state-help">{children}</div>}
    </div>
  );
}

export function NotAvailable({ feature }: { feature: string }) {
  return (
    <div className="state state-empty" data-testid="not-available">
      <strong>{feature}: not available yet on this server.</strong>
      <div className="state-help">
        The API routes behind this page are not part of this build. See <a href="/docs">/docs</a> for what the server
        offers.
      </div>
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const status = error instanceof ApiError ? ` (${error.status} ${error.code})` : '';
  const details = error instanceof ApiError ? error.details : [];
  return (
    <div className="state state-error" role="alert">
      <strong>Could not load{status}:</strong> {error.message}
      {details.length > 0 && (
        <ul>
          {details.map((d, i) => (
            <li key={i}>
              {d.field ? <code>{d.field}</code> : null} {d.problem}
            </li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/**
 * Renders loading / error / not-available for a request, and the children once data is there.
 * `feature` names the page section for the "not available yet" message.
 */
export function Async<T>({
  state,
  feature,
  what,
  children,
}: {
  state: { data: T | undefined; error: Error | undefined; loading: boolean; reload: () => void };
  feature: string;
  what?: string;
  children: (data: T) => ReactNode;
}) {
  if (state.error instanceof ApiError && state.error.routeMissing) return <NotAvailable feature={feature} />;
  if (state.error) return <ErrorState error={state.error} onRetry={state.reload} />;
  if (state.data === undefined) return <Loading what={what ?? feature.toLowerCase()} />;
  return <>{children(state.data)}</>;
}
