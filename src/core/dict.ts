/**
 * Dictionaries keyed by user data (labels, intents, column, table and parameter names).
 *
 * A plain `{}` inherits from Object.prototype: `obj['__proto__'] = x` replaces its prototype,
 * `obj['constructor']` is a function before anything was stored, and `'toString' in obj` is true.
 * A label may be any of those strings, so such structures are `Map`s or these null-prototype
 * objects, and values read from parsed JSON go through `own()`.
 */
export type Dict<V> = Record<string, V>;

/** An empty null-prototype object, or one holding `entries` (later keys win). */
export function dict<V>(entries?: Iterable<readonly [string, V]>): Dict<V> {
  const out = Object.create(null) as Dict<V>;
  if (entries) for (const [key, value] of entries) out[key] = value;
  return out;
}

/** The value stored under `key` in `obj` itself, never one inherited from Object.prototype. */
export function own<V>(obj: Readonly<Record<string, V>> | null | undefined, key: string): V | undefined {
  return obj != null && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Whether `obj` itself has `key` (the safe form of `key in obj` for user-data keys). */
export function hasKey(obj: object | null | undefined, key: string): boolean {
  return obj != null && Object.hasOwn(obj, key);
}
