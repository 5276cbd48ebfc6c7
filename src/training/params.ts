/**
 * Hyper-parameter checks before any run is created, so a bad value is a 400 naming the
 * parameter and never a run left "running".
 */
import { ValidationError, type ErrorDetail } from '../core/errors.js';
import { checkParamValue } from '../nlp/params.js';
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
export function withDefaults(
  spec: Record<string, ParamSpec>,
  params: Record<string, ParamValue>,
): Record<string, ParamValue> {
  return dict([...Object.entries(spec).map(([k, s]) => [k, s.default] as const), ...Object.entries(params)]);
}
