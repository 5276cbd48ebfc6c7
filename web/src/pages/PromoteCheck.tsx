import { useState, type FormEvent } from 'react';
import { ErrorState } from '../components/States';
import { api } from '../lib/api';
import { fmtPercent } from '../lib/format';
import type { ModelVersion, PromoteCheck } from '../lib/types';

const signed = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}`;

/** Models page: is a candidate really better than production? McNemar, per-intent F1, verdict, apply. */
export function PromoteCheckForm({ versions, onApplied }: { versions: ModelVersion[]; onApplied: () => void }) {
  const [candidate, setCandidate] = useState(String(versions[0]?.version ?? ''));
  const [baseline, setBaseline] = useState('production');
  const [apply, setApply] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [result, setResult] = useState<PromoteCheck | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await api<PromoteCheck>(`/models/${encodeURIComponent(candidate)}/promote-check`, {
        method: 'POST',
        body: { baseline, apply },
      });
      setResult(r);
      if (r.applied) onApplied();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  const moved = result?.intent_f1_deltas.filter((d) => Math.abs(d.delta) > 1e-9) ?? [];
  return (
    <>
      <form className="form-inline" onSubmit={(e) => void submit(e)} aria-label="Promote-check">
        <label>
          Candidate
          <select name="candidate" value={candidate} onChange={(e) => setCandidate(e.target.value)}>
            {versions.map((v) => (
              <option key={v.id} value={v.version}>
                v{v.version} ({v.model_type})
              </option>
            ))}
          </select>
        </label>
        <label>
          Baseline
          <input name="baseline" value={baseline} onChange={(e) => setBaseline(e.target.value)} required />
        </label>
        <label className="checkbox">
          <input type="checkbox" name="apply" checked={apply} onChange={(e) => setApply(e.target.checked)} /> promote if
          the verdict is promote
        </label>
        <button type="submit" className="primary" disabled={busy || !candidate}>
          {busy ? 'Checking…' : 'Run promote-check'}
        </button>
      </form>
      {error && <ErrorState error={error} />}
      {result && (
        <div data-testid="promote-check-result">
          <p>
            <span className={`badge verdict-${result.verdict}`} data-testid="promote-verdict">
              {result.verdict}
            </span>{' '}
            v{result.candidate.version} vs v{result.baseline.version} on {result.held_out.total} held-out examples (
            {result.held_out.test_examples} test of {result.dataset.name}@{result.dataset.version},{' '}
            {result.held_out.reviewed_turns} reviewed turns)
            {result.applied ? ` — ${result.alias} moved to v${result.candidate.version}` : ''}
          </p>
          <ul className="muted">
            {result.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
          <table className="table">
            <thead>
              <tr>
                <th>Metric</th>
                <th className="num">Baseline</th>
                <th className="num">Candidate</th>
                <th className="num">Δ points</th>
              </tr>
            </thead>
            <tbody>
              {(['accuracy', 'macro_f1'] as const).map((k) => (
                <tr key={k}>
                  <td>{k === 'accuracy' ? 'Accuracy' : 'Macro F1'}</td>
                  <td className="num">{fmtPercent(result.metrics[k].baseline, 2)}</td>
                  <td className="num" data-testid={`promote-${k}`}>
                    {fmtPercent(result.metrics[k].candidate, 2)}
                  </td>
                  <td className="num">{signed(result.metrics[k].delta)}</td>
                </tr>
              ))}
              <tr>
                <td>McNemar ({result.mcnemar.method})</td>
                <td className="num">{result.mcnemar.b} only baseline right</td>
                <td className="num">{result.mcnemar.c} only candidate right</td>
                <td className="num">p = {result.mcnemar.p_value.toPrecision(3)}</td>
              </tr>
            </tbody>
          </table>
          {moved.length > 0 && (
            <table className="table" data-testid="promote-intents">
              <thead>
                <tr>
                  <th>Intent (F1, worst first)</th>
                  <th className="num">Support</th>
                  <th className="num">Baseline</th>
                  <th className="num">Candidate</th>
                  <th className="num">Δ</th>
                </tr>
              </thead>
              <tbody>
                {moved.map((d) => (
                  <tr key={d.intent}>
                    <td>{d.intent}</td>
                    <td className="num">{d.support}</td>
                    <td className="num">{d.baseline.toFixed(3)}</td>
                    <td className="num">{d.candidate.toFixed(3)}</td>
                    <td className="num">{signed(d.delta)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </>
  );
}
