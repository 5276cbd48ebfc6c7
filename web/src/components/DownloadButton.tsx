import { downloadFromApi } from '../lib/api';
import { useAction } from '../lib/useAction';

/** Fetches a server-made file (with the API key) and saves it; failures show beside the button. */
export function DownloadButton({ path, filename, label }: { path: string; filename: string; label: string }) {
  const { busy, error, run } = useAction();
  const click = () => run(() => downloadFromApi(path, filename));
  return (
    <span className="download">
      <button type="button" onClick={() => void click()} disabled={busy}>
        {busy ? 'Preparing…' : label}
      </button>
      {error && (
        <span className="error-text" role="alert">
          {error.message}
        </span>
      )}
    </span>
  );
}
