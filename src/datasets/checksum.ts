import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileChunks } from './files.js';

/**
 * The content checksum that decides "same dataset": the bytes of every file (under its path
 * relative to the dataset root) plus the options that change what gets stored.
 */
export async function contentChecksum(root: string, files: string[], options: unknown): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(options));
  const base = files.length === 1 && files[0] === root ? path.dirname(root) : root;
  for (const file of files) {
    hash.update(`\0${path.relative(base, file).split(path.sep).join('/')}\0`);
    for await (const chunk of fileChunks(file)) hash.update(chunk);
  }
  return hash.digest('hex');
}
