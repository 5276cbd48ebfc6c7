/**
 * Artifact folders: `manifest.json` (self-describing: type, labels, settings, params, versions,
 * and the list of binary arrays) plus one raw little-endian binary file per array.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelType } from './types.js';
import { dict } from '../core/dict.js';

export const ARTIFACT_FORMAT = 1;

export interface ArrayEntry {
  file: string;
  dtype: 'float32' | 'int32';
  shape: number[];
}

export interface Manifest {
  format: number;
  type: ModelType;
  labels: string[];
  params: Record<string, unknown>;
  /** Model-specific settings (featuriser, encoder, head shape...). */
  settings: Record<string, unknown>;
  arrays: Record<string, ArrayEntry>;
  versions: Record<string, string>;
  created_at: string;
  /** Temperature applied to the probabilities at prediction time (absent = 1). */
  temperature?: number;
  /** Extra facts worth keeping with the model (validation accuracy, training time...). */
  info?: Record<string, unknown>;
}

type NumArray = Float32Array | Int32Array;

/** Writes the manifest and arrays into dir (created if needed). */
export async function writeArtifact(
  dir: string,
  manifest: Omit<Manifest, 'format' | 'arrays' | 'created_at' | 'versions'> & { versions?: Record<string, string> },
  arrays: Record<string, { data: NumArray; shape: number[] }>,
  extraFiles: Record<string, string> = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries = dict<ArrayEntry>();
  for (const [name, { data, shape }] of Object.entries(arrays)) {
    const file = `${name}.bin`;
    entries[name] = { file, dtype: data instanceof Int32Array ? 'int32' : 'float32', shape };
    await writeFile(path.join(dir, file), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  for (const [file, text] of Object.entries(extraFiles)) await writeFile(path.join(dir, file), text);
  const full: Manifest = {
    format: ARTIFACT_FORMAT,
    ...manifest,
    versions: { ...baseVersions(), ...manifest.versions },
    arrays: entries,
    created_at: new Date().toISOString(),
  };
  await writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(full, null, 2)}\n`);
}

export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, 'manifest.json');
  if (!existsSync(file)) throw new Error(`${dir} is not a model artifact folder (no manifest.json)`);
  const manifest = JSON.parse(await readFile(file, 'utf8')) as Manifest;
  if (manifest.format !== ARTIFACT_FORMAT) throw new Error(`${dir}: unsupported artifact format ${manifest.format}`);
  return manifest;
}

export async function readArray(dir: string, manifest: Manifest, name: string): Promise<NumArray> {
  const entry = manifest.arrays[name];
  if (!entry) throw new Error(`${dir}: artifact has no array ${name}`);
  const buf = await readFile(path.join(dir, entry.file));
  // Copy into a fresh, aligned buffer (a Buffer may sit at an unaligned offset of a pool).
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  const arr = entry.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
  const expected = entry.shape.reduce((a, b) => a * b, 1);
  if (arr.length !== expected) throw new Error(`${dir}: ${entry.file} has ${arr.length} values, expected ${expected}`);
  return arr;
}

export async function readFloat32(dir: string, manifest: Manifest, name: string): Promise<Float32Array> {
  const arr = await readArray(dir, manifest, name);
  if (!(arr instanceof Float32Array)) throw new Error(`${dir}: ${name} is not float32`);
  return arr;
}

const require = createRequire(import.meta.url);

/** Version of an installed package, or 'unknown'. */
export function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

let labVersion: string | undefined;
function baseVersions(): Record<string, string> {
  if (labVersion === undefined) {
    labVersion = 'unknown';
    // Walk up to the project's package.json (works from src/ under tsx and from dist/).
    for (let dir = import.meta.dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'chatbot-analytics-lab') {
          labVersion = pkg.version ?? 'unknown';
          break;
        }
      }
    }
  }
  return { 'chatbot-analytics-lab': labVersion, node: process.version };
}
