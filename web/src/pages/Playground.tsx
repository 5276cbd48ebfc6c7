import { useMemo, useState, type FormEvent } from 'react';
import { Chart } from '../components/Chart';
import { Card, Code, PageHeader } from '../components/Page';
import { Empty, ErrorState } from '../components/States';
import { api, ApiError } from '../lib/api';
import { barChart } from '../lib/charts';
import { fmtPercent } from '../lib/format';
import { href } from '../lib/router';
import type { ModelVersion, PredictResponse } from '../lib/types';
import { useAction } from '../lib/useAction';
import { useApi } from '../lib/useApi';

interface Ranked {
  intent: string;
  confidence: number;
}

export interface Prediction {
  text?: string;
  intent: string;
  confidence: number;
  fallback: boolean;
  top: Ranked[];
  model?: string;
  /** The model's fallback threshold: below it the bot would answer with a fallback. */
  threshold?: number;
}

/** The one prediction of a single-text `/intents/predict` answer, labelled with its model. */
export function readPrediction(answer: PredictResponse): Prediction {
  const p = answer.predictions[0]!;
  return { ...p, model: `v${answer.model.version} (${answer.model.model_type})` };
}

export function PlaygroundPage() {
  const models = useApi<{ models: ModelVersion[] }>('/models');
  const versions = models.data?.models ?? [];
  const aliases = [...new Set(versions.flatMap((v) => v.aliases ?? []))].sort();
  const [text, setText] = useState('');
  const [model, setModel] = useState('');
  const [topK, setTopK] = useState(5);
  const [result, setResult] = useState<Prediction | null>(null);
  const { busy, error, run } = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setResult(null);
    void run(async () => {
      const answer = await api<PredictResponse>('/intents/predict', {
        method: 'POST',
        body: { text, top_k: topK, ...(model ? { model } : {}) },
      });
      setResult(readPrediction(answer));
    });
  };

  const chart = useMemo(() => {
    if (!result) return null;
    const option = barChart({
      title: `Top ${result.top.length} intents`,
      subtitle:
        result.threshold !== undefined ? `dashed line: fallback threshold ${result.threshold.toFixed(3)}` : undefined,
      categories: result.top.map((t) => t.intent),
      values: result.top.map((t) => Number(t.confidence.toFixed(4))),
      xName: 'Confidence',
      yName: 'Intent',
      horizontal: true,
      seriesName: 'confidence',
    });
    if (result.threshold === undefined) return option;
    const [series] = option.series as Array<Record<string, unknown>>;
    const markLine = {
      symbol: 'none',
      data: [{ xAxis: result.threshold }],
      lineStyle: { type: 'dashed', color: '#c43d4b' },
    };
    return { ...option, xAxis: { ...(option.xAxis as object), max: 1 }, series: [{ ...series, markLine }] };
  }, [result]);
  const noModel = error instanceof ApiError && error.status === 404 && !error.routeMissing;

  return (
    <>
      <PageHeader title="Playground">Type what a user might say and see what the model makes of it.</PageHeader>
      <Card>
        <form className="form-grid" onSubmit={(e) => void submit(e)} aria-label="Predict an intent">
          <label className="wide">
            Sentence
            <textarea
              value={text}
              onChange={(e) => setText(e.target.value)}
              name="text"
              rows={2}
              required
              placeholder="I still have not received my new card"
            />
          </label>
          <label>
            Model
            <select value={model} onChange={(e) => setModel(e.target.value)} name="model">
              <option value="">default (production)</option>
              {aliases.map((a) => (
                <option key={a} value={a}>
                  alias {a}
                </option>
              ))}
              {versions.map((v) => (
                <option key={v.id} value={String(v.version)}>
                  version {v.version} ({v.model_type})
                </option>
              ))}
            </select>
          </label>
          <label>
            Top k
            <input
              type="number"
              min={1}
              max={20}
              value={topK}
              onChange={(e) => setTopK(Number(e.target.value))}
              name="top_k"
            />
          </label>
          <div className="form-actions">
            <button type="submit" className="primary" disabled={busy || !text.trim()}>
              {busy ? 'Predicting…' : 'Predict'}
            </button>
          </div>
        </form>
      </Card>
      {noModel && (
        <Empty title="No model answers to that name.">
          {error.message}. Promote a version on the <a href={href('/models')}>Models</a> page, or run{' '}
          <Code>chatlab models promote &lt;version&gt; --alias production</Code>.
        </Empty>
      )}
      {error && !noModel && <ErrorState error={error} />}
      {result && chart && (
        <Card title="Prediction" id="prediction">
          <p data-testid="prediction">
            <strong data-testid="predicted-intent">{result.intent}</strong> with confidence{' '}
            {fmtPercent(result.confidence)}
            {result.model ? ` (model ${result.model})` : ''}.{' '}
            {result.fallback ? (
              <span className="badge badge-failed" data-testid="fallback">
                would fall back: confidence under the model's threshold
              </span>
            ) : (
              <span className="badge badge-succeeded" data-testid="fallback">
                no fallback
              </span>
            )}
          </p>
          <Chart option={chart} height={Math.max(220, result.top.length * 34 + 90)} testId="topk-chart" />
        </Card>
      )}
    </>
  );
}
