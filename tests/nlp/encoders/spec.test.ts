import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EncoderSpecError, hubFolder, parseEncoderSpec } from '../../../src/nlp/encoders/spec.js';

describe('encoder spec', () => {
  it('reads use-lite, local folders and hub ids with an optional revision', () => {
    expect(parseEncoderSpec('use-lite')).toEqual({ kind: 'use-lite' });
    expect(parseEncoderSpec('use-lite@0.2.0')).toEqual({ kind: 'use-lite' });
    expect(parseEncoderSpec('hf:/models/minilm')).toEqual({ kind: 'hf-folder', folder: '/models/minilm' });
    expect(parseEncoderSpec('hf:./models/minilm')).toEqual({
      kind: 'hf-folder',
      folder: path.resolve('models/minilm'),
    });
    // An existing relative folder is a folder, even though it looks like org/name.
    expect(parseEncoderSpec('hf:tests/fixtures')).toEqual({
      kind: 'hf-folder',
      folder: path.resolve('tests/fixtures'),
    });
    expect(parseEncoderSpec('hf:BAAI/bge-small-en-v1.5')).toEqual({
      kind: 'hf-hub',
      id: 'BAAI/bge-small-en-v1.5',
      revision: null,
    });
    expect(parseEncoderSpec('hf:intfloat/e5-small-v2@refs/pr/3')).toEqual({
      kind: 'hf-hub',
      id: 'intfloat/e5-small-v2',
      revision: 'refs/pr/3',
    });
  });

  it.each(['bert-base', 'hf:', 'onnx:/models/x', 'hf:just-a-name', 'hf:a/b/c', 'hf:org/name@'])(
    '%s is refused naming the accepted forms',
    (spec) => {
      expect(() => parseEncoderSpec(spec)).toThrow(EncoderSpecError);
      expect(() => parseEncoderSpec(spec)).toThrow(/hf:<org>\/<name>/);
    },
  );

  it('puts hub models under MODEL_CACHE_DIR/hf/<org>/<name>[@revision]', () => {
    expect(hubFolder('/cache', 'BAAI/bge-small-en-v1.5', null)).toBe('/cache/hf/BAAI/bge-small-en-v1.5');
    expect(hubFolder('/cache', 'BAAI/bge-small-en-v1.5', 'v2')).toBe('/cache/hf/BAAI/bge-small-en-v1.5@v2');
    expect(hubFolder('/cache', 'intfloat/e5-small-v2', 'refs/pr/3')).toBe('/cache/hf/intfloat/e5-small-v2@refs--pr--3');
  });
});
