/**
 * Hash routing (`/#/datasets/3`). The API owns the real paths (`/datasets/3` is JSON), so the
 * dashboard's own locations live in the fragment and never collide with an API route.
 */

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function currentLocation(): Location {
  const hash = window.location.hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = hash.split('?');
  return { path: path || '/', query: new URLSearchParams(query) };
}

export function href(path: string, query?: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

export function navigate(path: string, query?: Record<string, string | number | undefined>): void {
  window.location.hash = href(path, query).slice(1);
}

/** Matches `/runs/:id` style patterns; returns the named segments or null. */
export function matchRoute(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params = Object.create(null) as Record<string, string>;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return null;
  }
  return params;
}
