/**
 * On-disk embedding cache keyed by (encoder id, sha256(text)), so that a second training run on the
 * same data does not re-embed. One append-only file per encoder: records of
 * [32-byte sha256 of the text][dim float32]. Appends are single write calls of whole records, so a
 * crash leaves at most a partial last record, which is ignored on read. Concurrent writers (two
 * trainings in parallel) may duplicate a record; duplicates are harmless (the vectors are equal).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export class EmbeddingCache {
  private readonly file: string;
  private readonly vectors = new Map<string, Float32Array>();
  private readonly recordBytes: number;

  constructor(
    cacheDir: string,
    readonly encoderId: string,
    readonly dim: number,
  ) {
    const safe = encoderId.replace(/[^A-Za-z0-9._-]+/g, '_');
    const dir = path.join(cacheDir, 'embeddings');
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${safe}.${dim}.bin`);
    this.recordBytes = 32 + dim * 4;
    this.load();
  }

  private load(): void {
    if (!existsSync(this.file)) return;
    const buf = readFileSync(this.file);
    const whole = Math.floor(buf.byteLength / this.recordBytes);
    for (let r = 0; r < whole; r++) {
      const at = r * this.recordBytes;
      const key = buf.subarray(at, at + 32).toString('hex');
      const vec = new Float32Array(this.dim);
      new Uint8Array(vec.buffer).set(buf.subarray(at + 32, at + this.recordBytes));
      this.vectors.set(key, vec);
    }
  }

  get size(): number {
    return this.vectors.size;
  }

  get(text: string): Float32Array | undefined {
    return this.vectors.get(textHash(text));
  }

  /** Stores vectors (texts[i] -> rows i of `matrix`, row-major texts.length x dim) in one append. */
  putMany(texts: string[], matrix: Float32Array): void {
    const out = Buffer.alloc(texts.length * this.recordBytes);
    texts.forEach((text, i) => {
      const key = textHash(text);
      const vec = matrix.slice(i * this.dim, (i + 1) * this.dim);
      this.vectors.set(key, vec);
      const at = i * this.recordBytes;
      out.write(key, at, 'hex');
      Buffer.from(vec.buffer).copy(out, at + 32);
    });
    if (texts.length > 0) appendFileSync(this.file, out);
  }
}
