import { useState } from 'react';
import { fmtNumber } from '../lib/format';
import type { Dataset, DatasetList } from '../lib/types';
import { useApi } from '../lib/useApi';

/** Datasets with examples to train on. */
export const trainable = (d: Dataset) => d.example_count > 0;

/**
 * The datasets a form can choose from, and the one chosen: `initial` when given, else the first
 * that passes `keep` once the list has arrived.
 */
export function useDatasetChoice(keep: (d: Dataset) => boolean = trainable, initial = '') {
  const state = useApi<DatasetList>('/datasets');
  const datasets = (state.data?.items ?? []).filter(keep);
  const [picked, setPicked] = useState(initial);
  const chosen = picked || (datasets[0] ? String(datasets[0].id) : '');
  /** The props a DatasetSelect of this choice takes, besides its name. */
  const select = { datasets, value: chosen, onChange: setPicked };
  return { state, datasets, chosen, select };
}

/** A select of datasets by id, name and version (with `anyLabel`, a filter whose first option is "any"). */
export function DatasetSelect({
  datasets,
  value,
  onChange,
  name,
  label = 'Dataset',
  anyLabel,
  showCounts = false,
}: {
  datasets: Array<Pick<Dataset, 'id' | 'name' | 'version'> & Partial<Pick<Dataset, 'example_count' | 'label_count'>>>;
  value: string;
  onChange: (id: string) => void;
  name: string;
  label?: string;
  anyLabel?: string;
  showCounts?: boolean;
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)} name={name} required={anyLabel === undefined}>
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {datasets.map((d) => (
          <option key={d.id} value={String(d.id)}>
            {d.id} · {d.name} v{d.version}
            {showCounts && ` (${fmtNumber(d.example_count)} examples, ${fmtNumber(d.label_count)} labels)`}
          </option>
        ))}
      </select>
    </label>
  );
}
