/**
 * The API's shapes as the dashboard reads them. List endpoints answer either an array or an object
 * holding one (`{items, next_cursor}`); `listOf` accepts both so a page does not care.
 */

export function listOf<T>(data: unknown, ...keys: string[]): T[] {
  if (Array.isArray(data)) return data as T[];
  if (data && typeof data === 'object') {
    const record = data as Record<string, unknown>;
    for (const key of [...keys, 'items', 'data', 'results']) if (Array.isArray(record[key])) return record[key] as T[];
    const first = Object.values(record).find(Array.isArray);
    if (first) return first as T[];
  }
  return [];
}

export function nextCursorOf(data: unknown): string | null {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return null;
  const record = data as Record<string, unknown>;
  const value = record.next_cursor ?? record.nextCursor ?? record.cursor;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

export function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}
