import { useSyncExternalStore } from 'react';

/**
 * A counter bumped whenever the API key changes, so every `useApi` refetches with the new key.
 */
let version = 0;
const listeners = new Set<() => void>();

export function bumpAuthVersion(): void {
  version++;
  for (const listener of listeners) listener();
}

export function useAuthVersion(): number {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => version,
  );
}
