import { InvalidArgumentError } from 'commander';

/**
 * Option parsers with the same bounds as the API's schemas, so `--limit abc` or `--limit 0` is a
 * one-line usage error (exit 2) before anything runs, never NaN passed on or a silent default.
 */
export function intOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer between ${min} and ${max}`);
    }
    return n;
  };
}

/** A finite number (ranges are the model's hyper-parameter spec's to check). */
export function numberOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number');
  return n;
}

/** A row id: a positive integer. */
export const idOption = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('must be a positive integer id');
  }
  return n;
};

/** Bounds shared with the API schemas. */
export const SEED = intOption(0, 2147483647);
export const PAGE_LIMIT = intOption(1, 1000);
