import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside the module at `base` (its `import.meta.url`).
 * In the built package that is `name.js`; under tsx and vitest the source is TypeScript, which a
 * plain Worker cannot load, so the thread registers tsx before importing it.
 */
export function startWorkerModule(base: string, name: string, options: WorkerOptions): Worker {
  if (base.endsWith('.ts')) {
    const file = new URL(`./${name}.ts`, base).href;
    const code = `const { register } = await import('tsx/esm/api'); register(); await import(${JSON.stringify(file)});`;
    return new Worker(code, { ...options, eval: true });
  }
  return new Worker(new URL(`./${name}.js`, base), options);
}
