/** Hyper-parameter validation against a trainer's `paramSpec`: defaults filled, ranges enforced. */
import { ValidationError, type ErrorDetail } from '../core/errors.js';
import type { ParamSpec } from './types.js';
import { dict, hasKey, own } from '../core/dict.js';

export type ParamValues = Record<string, number | string | boolean>;

/**
 * Returns every parameter of the spec (given value or default). Unknown names, wrong types and
 * out-of-range values are a ValidationError naming each offending parameter.
 */
export function resolveParams(spec: Record<string, ParamSpec>, given: ParamValues): ParamValues {
  const problems: ErrorDetail[] = [];
  const out: ParamValues = dict();
  for (const name of Object.keys(given)) {
    if (!hasKey(spec, name))
      problems.push({ field: name, problem: `unknown parameter; allowed: ${Object.keys(spec).join(', ')}` });
  }
  for (const [name, s] of Object.entries(spec)) {
    const value = own(given, name) ?? s.default;
    const problem = checkParamValue(s, value);
    if (problem) problems.push({ field: name, problem });
    out[name] = value;
  }
  if (problems.length > 0) {
    throw new ValidationError(
      `invalid training parameters: ${problems.map((p) => `${p.field} ${p.problem}`).join('; ')}`,
      problems,
    );
  }
  return out;
}

/**
 * What is wrong with one value for its spec, or null: the one set of rules behind both the
 * trainers' `resolveParams` and the API/CLI check of `training_overrides` (src/training/params.ts).
 */
export function checkParamValue(s: ParamSpec, value: unknown): string | null {
  if (s.type === 'int' || s.type === 'float') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number (got ${JSON.stringify(value)})`;
    if (s.type === 'int' && !Number.isInteger(value)) return `must be an integer (got ${value})`;
    if (s.min !== undefined && value < s.min) return `must be >= ${s.min} (got ${value})`;
    if (s.max !== undefined && value > s.max) return `must be <= ${s.max} (got ${value})`;
  } else if (s.type === 'boolean') {
    if (typeof value !== 'boolean') return `must be true or false (got ${JSON.stringify(value)})`;
  } else if (typeof value !== 'string') {
    return `must be a string (got ${JSON.stringify(value)})`;
  }
  if (s.choices && !s.choices.includes(value as string | number)) return `must be one of ${s.choices.join(', ')}`;
  return s.check && typeof value === 'string' ? s.check(value) : null;
}
