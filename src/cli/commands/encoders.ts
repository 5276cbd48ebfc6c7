import type { Command } from 'commander';
import type { Settings } from '../../config/settings.js';
import { output, settingsFromEnvironment, table } from '../output.js';

/** The encoder environment from the settings alone: listing and checking encoders needs no database. */
async function environmentOf(settings: Settings) {
  const { configureEncoders, encoderEnvironment } = await import('../../nlp/encoders/index.js');
  configureEncoders({
    modelCacheDir: settings.modelCacheDir,
    downloads: settings.modelDownloads,
    threads: settings.encoderThreads,
  });
  return encoderEnvironment();
}

const megabytes = (bytes: number | null) => (bytes === null ? '' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** `chatlab encoders list|check`: a thin door into src/nlp/encoders. */
export function registerEncoders(program: Command): void {
  const encoders = program
    .command('encoders')
    .description('sentence encoders: the built-in USE-lite and Hugging Face ONNX models in MODEL_CACHE_DIR/hf');

  encoders
    .command('list')
    .description('encoders available locally, with dimension, pooling and ONNX file size')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const env = await environmentOf(settingsFromEnvironment());
      const { listEncoders } = await import('../../nlp/encoders/index.js');
      const data = { model_cache_dir: env.modelCacheDir, downloads: env.downloads, encoders: listEncoders(env) };
      output(data, o, (d) =>
        [
          table(
            d.encoders.map((e) => ({
              spec: e.spec,
              dim: e.problem ? '' : e.dim,
              pooling: e.problem ? '' : `${e.pooling}${e.normalize ? ' + normalize' : ''}`,
              max_length: e.maxLength ?? '',
              size: megabytes(e.bytes),
              problem: e.problem ?? '',
            })),
          ),
          `(hub models are looked up in ${d.model_cache_dir}/hf/<org>/<name>[@revision]; downloads ${d.downloads})`,
        ].join('\n'),
      );
    });

  encoders
    .command('check')
    .description('load an encoder and embed a sentence: use-lite, hf:<folder> or hf:<org>/<name>[@revision]')
    .argument('<spec>', 'encoder spec')
    .option('--text <text>', 'sentence to embed', 'I am still waiting on my card?')
    .option('--json', 'print JSON')
    .action(async (spec: string, o) => {
      const env = await environmentOf(settingsFromEnvironment());
      const { resolveEncoder } = await import('../../nlp/encoders/index.js');
      const started = performance.now();
      const encoder = await resolveEncoder(spec, env);
      const [vector] = [await encoder.embedBatch([o.text as string])];
      const seconds = (performance.now() - started) / 1000;
      const norm = Math.sqrt(vector!.reduce((s, v) => s + v * v, 0));
      const tokens =
        'tokenize' in encoder
          ? ((await (encoder as { tokenize(t: string[]): Promise<number[][]> }).tokenize([o.text]))[0]?.length ?? null)
          : null;
      const data = {
        spec,
        id: encoder.id,
        dim: encoder.dim,
        tokens,
        norm: Number(norm.toFixed(6)),
        head: [...vector!.subarray(0, 5)].map((v) => Number(v.toFixed(6))),
        load_and_embed_seconds: Number(seconds.toFixed(3)),
        versions: encoder.versions(),
      };
      output(data, o, (d) =>
        [
          `${d.spec}: ok`,
          `  id ${d.id}, dimension ${d.dim}${d.tokens !== null ? `, ${d.tokens} tokens` : ''}`,
          `  vector [${d.head.join(', ')}, ...] norm ${d.norm}`,
          `  loaded and embedded in ${d.load_and_embed_seconds} s`,
        ].join('\n'),
      );
    });
}
