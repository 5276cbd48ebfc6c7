import { useEffect, useState } from 'react';
import { DataTable } from '../../components/DataTable';
import { metricColumn, runColumns } from '../../components/runColumns';
import { Card, PageHeader } from '../../components/Page';
import { Async, Empty, ErrorState, Loading } from '../../components/States';
import { withQuery } from '../../lib/api';
import { href } from '../../lib/router';
import { useApi } from '../../lib/useApi';
import { type RunEvaluation, loadEvaluation } from './evaluation';
import type { RunComparison } from '../../../../src/api/contracts/experiments.js';
import { PairView } from './PairView';
import { Confusion } from './Confusion';

export function CompareRunsPage({ ids }: { ids: string[] }) {
  const comparison = useApi<RunComparison>(ids.length >= 2 ? withQuery('/runs/compare', { ids: ids.join(',') }) : null);
  const [evaluations, setEvaluations] = useState<Map<string, RunEvaluation | null> | null>(null);
  const [error, setError] = useState<Error | null>(null);

  // The ids as one string: a new array with the same ids must not reload the evaluations.
  const idList = ids.join(',');
  useEffect(() => {
    let live = true;
    Promise.all(idList.split(',').map(async (id) => [id, await loadEvaluation(id)] as const)).then(
      (pairs) => live && setEvaluations(new Map(pairs)),
      (e: Error) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [idList]);

  if (ids.length < 2)
    return (
      <Empty title="Pick at least two runs to compare.">
        Tick runs on the <a href={href('/experiments')}>Experiments</a> page and press <strong>Compare selected</strong>
        .
      </Empty>
    );

  return (
    <>
      <PageHeader title={`Compare runs ${ids.map((i) => `#${i}`).join(', ')}`}>
        Each run is compared with the first one (#{ids[0]}), the baseline.
      </PageHeader>
      <Async state={comparison} feature="Run comparison">
        {(data) => {
          const runs = new Map(data.runs.map((r) => [r.id, r]));
          const headline = ['accuracy', 'macro_f1', 'weighted_f1', 'ece', 'fallback_rate', 'train_seconds'];
          return (
            <>
              <Card title="Runs side by side" id="side-by-side">
                <DataTable
                  title="Runs side by side"
                  testId="compare-runs"
                  rows={data.runs}
                  rowKey={(r) => r.id}
                  columns={[
                    runColumns.id,
                    runColumns.model,
                    runColumns.dataset,
                    ...headline.map((k) => metricColumn(k)),
                  ]}
                />
              </Card>
              {data.comparisons.map((pair) => (
                <PairView key={pair.candidate} pair={pair} runs={runs} />
              ))}
            </>
          );
        }}
      </Async>
      {error && <ErrorState error={error} />}
      <div className={ids.length === 2 ? 'grid-2' : undefined}>
        {ids.map((id) => {
          const evaluation = evaluations?.get(id);
          return (
            <Card key={id} title={`Confusion matrix, run #${id}`}>
              {!evaluations ? (
                <Loading what="confusion matrix" />
              ) : evaluation?.confusion ? (
                <Confusion confusion={evaluation.confusion} title={`Run #${id}`} />
              ) : (
                <Empty title="No confusion matrix for this run." />
              )}
            </Card>
          );
        })}
      </div>
    </>
  );
}
