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
    if (s.type === 'int' || s.type === 'float') {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        problems.push({ field: name, problem: 'must be a number' });
        continue;
      }
      if (s.type === 'int' && !Number.isInteger(value)) problems.push({ field: name, problem: 'must be an integer' });
      if (s.min !== undefined && value < s.min) problems.push({ field: name, problem: `must be >= ${s.min}` });
      if (s.max !== undefined && value > s.max) problems.push({ field: name, problem: `must be <= ${s.max}` });
    } else if (s.type === 'boolean') {
      if (typeof value !== 'boolean') problems.push({ field: name, problem: 'must be true or false' });
    } else if (typeof value !== 'string') {
      problems.push({ field: name, problem: 'must be a string' });
    }
    if (s.choices && !s.choices.includes(value as string | number)) {
      problems.push({ field: name, problem: `must be one of ${s.choices.join(', ')}` });
    }
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
