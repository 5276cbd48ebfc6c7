/**
 * Hyper-parameter checks against a model type's `paramSpec`: one set of rules for the trainers,
 * the API/CLI check of `training_overrides` before any run is created (a bad value is a 400
 * naming the parameter, never a run left "running") and the search space.
 */
import { ValidationError, type ErrorDetail } from '../core/errors.js';
import type { ParamSpec } from './types.js';
import { dict, own } from '../core/dict.js';

export type ParamValue = number | string | boolean;
export type ParamValues = Record<string, ParamValue>;

/**
 * The given parameters, checked: unknown names, wrong types and out-of-range values are one
 * ValidationError naming each offending parameter (`field.name`, or `name` when field is '').
 */
export function validateParams(
  spec: Record<string, ParamSpec>,
  given: Record<string, unknown>,
  field = 'training_overrides',
): ParamValues {
  const details: ErrorDetail[] = [];
  const out = dict<ParamValue>();
  for (const [name, value] of Object.entries(given)) {
    const s = own(spec, name);
    const where = field ? `${field}.${name}` : name;
    if (!s) {
      details.push({ field: where, problem: `unknown parameter; known: ${Object.keys(spec).join(', ')}` });
      continue;
    }
    const problem = checkParamValue(s, value);
    if (problem) details.push({ field: where, problem });
    else out[name] = value as ParamValue;
  }
  if (details.length) {
    throw new ValidationError(details.map((d) => `${d.field} ${d.problem}`).join('; '), details);
  }
  return out;
}

/** Parameters as they will be used: defaults overlaid with the validated overrides. */
export function withDefaults(spec: Record<string, ParamSpec>, params: ParamValues): ParamValues {
  return dict([...Object.entries(spec).map(([k, s]) => [k, s.default] as const), ...Object.entries(params)]);
}

/** Every parameter of the spec (given value or default), checked as `validateParams` does. */
export function resolveParams(spec: Record<string, ParamSpec>, given: Record<string, unknown>): ParamValues {
  return withDefaults(spec, validateParams(spec, given, ''));
}

/** What is wrong with one value for its spec, or null. */
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
