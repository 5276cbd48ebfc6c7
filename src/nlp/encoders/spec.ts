/**
 * The encoder spec, one string wherever an encoder is chosen (DEFAULT_MODEL, `--param encoder=`,
 * `training_overrides.encoder`): `use-lite` | `hf:<local folder>` | `hf:<hub id>[@revision]`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const USE_LITE_SPEC = 'use-lite';

export type EncoderSpec =
  | { kind: 'use-lite' }
  | { kind: 'hf-folder'; folder: string }
  | { kind: 'hf-hub'; id: string; revision: string | null };

export class EncoderSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncoderSpecError';
  }
}

const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/**
 * A path-looking value (absolute, ./, ../, ~/) or an existing folder is a local folder; otherwise
 * `org/name[@revision]` is a hub id. Anything else is an error naming the accepted forms.
 */
export function parseEncoderSpec(spec: string): EncoderSpec {
  const value = spec.trim();
  if (value === USE_LITE_SPEC || value.startsWith(`${USE_LITE_SPEC}@`)) return { kind: 'use-lite' };
  if (!value.startsWith('hf:') || value.length === 3) {
    throw new EncoderSpecError(
      `unknown encoder ${JSON.stringify(spec)}: use use-lite, hf:<local folder> or hf:<org>/<name>[@revision]`,
    );
  }
  const rest = value.slice(3);
  const home = process.env.HOME ?? '';
  const expanded = rest.startsWith('~/') ? path.join(home, rest.slice(2)) : rest;
  if (/^(\/|\.{1,2}\/)/.test(expanded) || rest.startsWith('~/') || existsSync(expanded)) {
    return { kind: 'hf-folder', folder: path.resolve(expanded) };
  }
  const at = rest.indexOf('@');
  const id = at < 0 ? rest : rest.slice(0, at);
  const revision = at < 0 ? null : rest.slice(at + 1);
  if (!HUB_ID.test(id) || (revision !== null && !REVISION.test(revision))) {
    throw new EncoderSpecError(
      `encoder ${JSON.stringify(spec)} is neither an existing folder nor a hub id of the form hf:<org>/<name>[@revision]`,
    );
  }
  return { kind: 'hf-hub', id, revision };
}

/** The folder a hub model is expected in, inside MODEL_CACHE_DIR (a `/` in a revision becomes `--`). */
export function hubFolder(modelCacheDir: string, id: string, revision: string | null): string {
  const [org, name] = id.split('/') as [string, string];
  return path.resolve(modelCacheDir, 'hf', org, revision ? `${name}@${revision.replaceAll('/', '--')}` : name);
}
