import { DataTable, type Column } from './DataTable';
import { Empty, Async } from './States';
import { runColumns } from './runColumns';
import { withQuery } from '../lib/api';
import { href } from '../lib/router';
import type { Run, RunList } from '../lib/types';
import { useApi, type ApiState } from '../lib/useApi';

/** The newest runs of one kind (the run tag `kind`: `search`, `crossval`). */
export function useRunsOfKind(kind: string): ApiState<RunList> {
  return useApi<RunList>(withQuery('/training/runs', { tag: `kind=${kind}`, limit: 100 }));
}

/** A table of runs of one kind, each linking to the page of that kind, with the figure that kind reports. */
export function RunsOfKindTable({
  state,
  title,
  idLabel,
  detailPath,
  score,
  empty,
}: {
  state: ApiState<RunList>;
  title: string;
  idLabel: string;
  /** The kind's page: a run opens at `${detailPath}/${id}`. */
  detailPath: string;
  score: Column<Run>;
  empty: string;
}) {
  return (
    <Async state={state} feature={title}>
      {(data) => (
        <DataTable
          title={title}
          rows={data.runs}
          rowKey={(r) => r.id}
          empty={<Empty title={empty} />}
          columns={[
            {
              key: 'id',
              label: idLabel,
              value: (r) => r.id,
              render: (r) => <a href={href(`${detailPath}/${r.id}`)}>#{r.id}</a>,
              numeric: true,
            },
            runColumns.dataset,
            runColumns.model,
            runColumns.status,
            score,
          ]}
        />
      )}
    </Async>
  );
}
