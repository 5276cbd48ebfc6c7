import { useState } from 'react';

/** Cursor pages: the stack of cursors handed out so far (null = the first page). */
export function useCursorPages() {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  return {
    cursor: cursors[cursors.length - 1] ?? null,
    page: cursors.length,
    next: (cursor: string) => setCursors((c) => [...c, cursor]),
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reset: () => setCursors([null]),
  };
}

/** Previous / page number / Next under a cursor-paged table. */
export function Pager({
  pages,
  nextCursor,
}: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null | undefined;
}) {
  return (
    <div className="pager">
      <button type="button" disabled={pages.page <= 1} onClick={pages.previous}>
        ← Previous
      </button>
      <span className="muted">Page {pages.page}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && pages.next(nextCursor)}>
        Next →
      </button>
    </div>
  );
}
