import { useEffect, useRef, useState, type FormEvent } from 'react';
import { getApiKey, setApiKey } from '../lib/api';
import { bumpAuthVersion } from '../lib/auth';

/** Asks for an API key after a 401; the key is kept in localStorage and sent as a Bearer token. */
export function ApiKeyDialog({ reason, onClose }: { reason: string; onClose: () => void }) {
  const [value, setValue] = useState(getApiKey() ?? '');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setApiKey(value.trim() || null);
    bumpAuthVersion();
    onClose();
  };

  return (
    <div className="modal-backdrop">
      <form className="modal" role="dialog" aria-modal="true" aria-labelledby="api-key-title" onSubmit={submit}>
        <h2 id="api-key-title">API key required</h2>
        <p>
          The server answered: <em>{reason}</em>
        </p>
        <p>
          Create a key on the server with <code>chatlab keys create --role editor --name dashboard</code> and paste it
          here. It is stored in this browser only and sent as <code>Authorization: Bearer</code>.
        </p>
        <label>
          API key
          <input
            ref={input}
            type="password"
            autoComplete="off"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            name="api-key"
          />
        </label>
        <div className="row">
          <button type="submit" className="primary">
            Save key
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
