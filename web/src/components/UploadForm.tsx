import { dict } from '../lib/dict';
import { useState, type DragEvent, type FormEvent } from 'react';
import { parse } from 'csv-parse/browser/esm/sync';
import { ErrorState } from './States';
import { uploadForm } from '../lib/api';
import { navigate } from '../lib/router';
import type { Dataset } from '../lib/types';

/** Types a single uploaded file can hold (folder layouts such as SGD go through DATASET_DIR). */
const FILE_TYPES = ['csv', 'jsonl', 'banking77', 'bitext', 'rasa', 'dialogflow', 'lex', 'rasa-tracker'];
const PREVIEW_BYTES = 64 * 1024;
const PREVIEW_ROWS = 5;

/** The mapping roles and the column names the server looks for when a role is not mapped. */
const ROLES = [
  { role: 'text', option: 'text_col', defaults: ['text'] },
  { role: 'label', option: 'label_col', defaults: ['label', 'intent'] },
  { role: 'conversation', option: 'conversation_col', defaults: ['conversation_id'] },
  { role: 'speaker', option: 'speaker_col', defaults: ['speaker'] },
  { role: 'timestamp', option: 'timestamp_col', defaults: ['timestamp'] },
  { role: 'split', option: 'split_col', defaults: ['split'] },
] as const;

interface Preview {
  columns: string[];
  rows: Array<Map<string, string>>;
  problem?: string;
}

/** The first rows of a CSV or JSON Lines file, read in the browser before anything is sent. */
async function previewOf(file: File, type: string): Promise<Preview> {
  const head = await file.slice(0, PREVIEW_BYTES).text();
  // Only whole lines: the slice may end inside a row.
  const whole = file.size > PREVIEW_BYTES ? head.slice(0, head.lastIndexOf('\n') + 1) : head;
  try {
    if (type === 'jsonl') {
      const objects = whole
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(0, PREVIEW_ROWS)
        .map((l) => JSON.parse(l) as unknown);
      const columns = [...new Set(objects.flatMap((o) => (o && typeof o === 'object' ? Object.keys(o) : [])))];
      const rows = objects.map(
        (o) =>
          new Map(
            Object.entries((o ?? {}) as object).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
          ),
      );
      return { columns, rows };
    }
    const records = parse(whole, { bom: true, to_line: PREVIEW_ROWS + 1, relax_column_count: true }) as string[][];
    const [header = [], ...body] = records;
    return { columns: header, rows: body.map((r) => new Map(header.map((h, i) => [h, r[i] ?? '']))) };
  } catch (e) {
    return { columns: [], rows: [], problem: (e as Error).message };
  }
}

/** The column the server would use for a role when none is chosen, if the file has it. */
function detected(columns: string[], defaults: readonly string[]): string {
  return defaults.find((d) => columns.includes(d)) ?? '';
}

/** Upload a file from this computer: pick or drop it, check the preview and mapping, ingest. */
export function UploadForm({ onDone }: { onDone: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [type, setType] = useState('csv');
  const [name, setName] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [mapping, setMapping] = useState<Map<string, string>>(new Map());
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [dragging, setDragging] = useState(false);
  const mapped = type === 'csv' || type === 'jsonl';

  const choose = async (chosen: File | undefined, chosenType = type) => {
    setError(null);
    setFile(chosen ?? null);
    setPreview(null);
    if (!chosen) return;
    const ext = chosen.name.split('.').pop()?.toLowerCase() ?? '';
    const guessed =
      ext === 'jsonl' || ext === 'ndjson'
        ? 'jsonl'
        : ext === 'yml' || ext === 'yaml' || ext === 'md'
          ? 'rasa'
          : ext === 'csv' && chosenType !== 'banking77' && chosenType !== 'bitext'
            ? 'csv'
            : chosenType;
    setType(guessed);
    setName(chosen.name.replace(/\.[^.]+$/, ''));
    if (guessed === 'csv' || guessed === 'jsonl') {
      const p = await previewOf(chosen, guessed);
      setPreview(p);
      setMapping(new Map(ROLES.map((r) => [r.role, detected(p.columns, r.defaults)])));
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void choose(e.dataTransfer.files[0]);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.append('dataset_type', type);
    if (name) form.append('name', name);
    if (mapped) {
      const options: Record<string, string> = dict();
      for (const r of ROLES) {
        const column = mapping.get(r.role);
        if (column) options[r.option] = column;
      }
      form.append('options', JSON.stringify(options));
    }
    form.append('file', file, file.name);
    setError(null);
    setProgress(0);
    try {
      const result = await uploadForm<{ dataset: Dataset }>('/datasets/upload', form, setProgress);
      onDone();
      navigate(`/datasets/${result.dataset.id}`);
    } catch (e) {
      setError(e as Error);
    } finally {
      setProgress(null);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Upload a dataset file" className="upload-form">
      <div
        className={`drop-zone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label>
          Choose or drop a file (.csv, .jsonl, .json, Rasa .yml/.md, a Dialogflow or Lex .zip)
          <input
            type="file"
            name="file"
            accept=".csv,.jsonl,.ndjson,.json,.txt,.yml,.yaml,.md,.zip"
            data-testid="upload-file"
            onChange={(e) => void choose(e.target.files?.[0])}
          />
        </label>
        {file && (
          <span className="muted">
            {' '}
            {file.name} ({(file.size / 1024).toFixed(1)} KB)
          </span>
        )}
      </div>
      <div className="form-inline">
        <label>
          Type
          <select
            value={type}
            name="upload_type"
            onChange={(e) => {
              setType(e.target.value);
              if (file) void choose(file, e.target.value);
            }}
          >
            {FILE_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} name="upload_name" />
        </label>
      </div>
      {mapped && preview && (
        <div data-testid="upload-preview">
          {preview.problem ? (
            <p className="error-text">The first rows could not be read: {preview.problem}</p>
          ) : (
            <>
              <div className="form-inline" aria-label="Column mapping">
                {ROLES.map((r) => (
                  <label key={r.role}>
                    {r.role} column
                    <select
                      name={`map_${r.role}`}
                      value={mapping.get(r.role) ?? ''}
                      onChange={(e) => setMapping(new Map(mapping).set(r.role, e.target.value))}
                    >
                      <option value="">(none)</option>
                      {preview.columns.map((c) => (
                        <option key={c} value={c}>
                          {c}
                        </option>
                      ))}
                    </select>
                  </label>
                ))}
              </div>
              <div className="table-wrap">
                <table className="data-table">
                  <caption className="muted">First rows of {file?.name}, as the lab will read them</caption>
                  <thead>
                    <tr>
                      {preview.columns.map((c) => (
                        <th key={c}>{c}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {preview.rows.map((row, i) => (
                      <tr key={i}>
                        {preview.columns.map((c) => (
                          <td key={c}>{row.get(c) ?? ''}</td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </div>
      )}
      <button type="submit" className="primary" disabled={!file || progress !== null} data-testid="upload-submit">
        {progress === null
          ? 'Upload and ingest'
          : progress < 1
            ? `Uploading ${Math.round(progress * 100)} %`
            : 'Ingesting…'}
      </button>
      {progress !== null && <progress max={1} value={progress} aria-label="Upload progress" />}
      {error && <ErrorState error={error} />}
    </form>
  );
}
