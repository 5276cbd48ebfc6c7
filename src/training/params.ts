/**
 * Hyper-parameter checks before any run is created, so a bad value is a 400 naming the
 * parameter and never a run left "running".
 */
import { ValidationError, type ErrorDetail } from '../core/errors.js';
import type { ParamSpec } from '../nlp/types.js';
import { dict, own } from '../core/dict.js';

export type ParamValue = number | string | boolean;

export function validateParams(
  spec: Record<string, ParamSpec>,
  overrides: Record<string, unknown>,
  field = 'training_overrides',
): Record<string, ParamValue> {
  const details: ErrorDetail[] = [];
  const out = dict<ParamValue>();
  for (const [name, value] of Object.entries(overrides)) {
    const s = own(spec, name);
    const where = `${field}.${name}`;
    if (!s) {
      details.push({ field: where, problem: `unknown parameter; known: ${Object.keys(spec).join(', ')}` });
      continue;
    }
    const problem = checkValue(s, value);
    if (problem) details.push({ field: where, problem });
    else out[name] = value as ParamValue;
  }
  if (details.length) {
    throw new ValidationError(details.map((d) => `${d.field} ${d.problem}`).join('; '), details);
  }
  return out;
}

function checkValue(s: ParamSpec, value: unknown): string | null {
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
  return null;
}

/** Parameters as they will be used: defaults overlaid with the validated overrides. */
export function withDefaults(
  spec: Record<string, ParamSpec>,
  params: Record<string, ParamValue>,
): Record<string, ParamValue> {
  return dict([...Object.entries(spec).map(([k, s]) => [k, s.default] as const), ...Object.entries(params)]);
}
