import { useState, type ReactNode } from 'react';

/**
 * A text search applied on submit (not on every key), with optional filter controls between the
 * box and the button; `onSearch` gets the submitted text.
 */
export function SearchBox({
  label,
  name,
  initial = '',
  onSearch,
  children,
}: {
  label: string;
  name: string;
  initial?: string;
  onSearch: (text: string) => void;
  children?: ReactNode;
}) {
  const [draft, setDraft] = useState(initial);
  return (
    <form
      className="form-inline"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(draft);
      }}
    >
      <label>
        {label}
        <input type="search" value={draft} onChange={(e) => setDraft(e.target.value)} name={name} />
      </label>
      {children}
      <button type="submit">Search</button>
    </form>
  );
}
