import { useState } from 'react';
import { downloadFromApi } from '../lib/api';

/** Fetches a server-made file (with the API key) and saves it; failures show beside the button. */
export function DownloadButton({ path, filename, label }: { path: string; filename: string; label: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const click = async () => {
    setBusy(true);
    setError(null);
    try {
      await downloadFromApi(path, filename);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="download">
      <button type="button" onClick={() => void click()} disabled={busy}>
        {busy ? 'Preparing…' : label}
      </button>
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
