/** The time window a monitoring view covers, as a labelled select of the windows it offers. */
export function WindowSelect({
  value,
  onChange,
  name,
  windows,
}: {
  value: string;
  onChange: (window: string) => void;
  name: string;
  /** [value, label] pairs, e.g. ['24h', '24 hours']. */
  windows: Array<[string, string]>;
}) {
  return (
    <label>
      Window{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)} name={name}>
        {windows.map(([w, label]) => (
          <option key={w} value={w}>
            {label}
          </option>
        ))}
      </select>
    </label>
  );
}
