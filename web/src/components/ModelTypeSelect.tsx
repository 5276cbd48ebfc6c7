import type { ModelTypeInfo, ModelTypeList } from '../lib/types';
import { useApi } from '../lib/useApi';

/** The model types the server can train (GET /model-types: its registry, with descriptions and parameters). */
export function useModelTypes(enabled = true): { types: ModelTypeInfo[]; error: Error | undefined } {
  const state = useApi<ModelTypeList>(enabled ? '/model-types' : null);
  return { types: state.data?.items ?? [], error: state.error };
}

/**
 * A select of the server's model types. In a form it says what the chosen type is under the list;
 * as a filter (`anyLabel`) it adds a first option for "any type".
 */
export function ModelTypeSelect({
  value,
  onChange,
  name,
  label = 'Model',
  anyLabel,
  describe = !anyLabel,
  catalogue,
}: {
  value: string;
  onChange: (type: string) => void;
  name: string;
  label?: string;
  anyLabel?: string;
  describe?: boolean;
  /** The list, when the form already fetched it (to read the chosen type's parameters). */
  catalogue?: ReturnType<typeof useModelTypes>;
}) {
  const fetched = useModelTypes(catalogue === undefined);
  const { types, error } = catalogue ?? fetched;
  const chosen = types.find((t) => t.type === value);
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)} name={name}>
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {/* Until the list arrives, the chosen type is the only option, so the select keeps its value. */}
        {types.length === 0 && value && <option value={value}>{value}</option>}
        {types.map((t) => (
          <option key={t.type} value={t.type} title={t.description}>
            {t.type}
          </option>
        ))}
      </select>
      {error && <span className="error-text">model types unavailable: {error.message}</span>}
      {describe && chosen && (
        <span className="muted field-hint" data-testid={`${name}-description`}>
          {chosen.description}
        </span>
      )}
    </label>
  );
}
