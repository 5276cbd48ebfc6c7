import { InvalidArgumentError, type Command } from 'commander';
import { loadSettings } from '../../config/settings.js';

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('must be an integer between 1 and 64');
  return n;
}

/**
 * `chatlab worker`: runs queued training jobs (train, search, crossval) from the shared database
 * until SIGINT/SIGTERM, which stops claiming and releases the jobs in hand back to the queue
 * (their attempt not counted) for another worker to run.
 */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run queued training jobs from the database (scale-out: start several, on several hosts)')
    .option('--concurrency <n>', 'jobs run at the same time by this process', parseConcurrency, 1)
    .action(async (options: { concurrency: number }) => {
      const settings = loadSettings();
      const [{ openLab }, { createLogger }, { startWorkerPool }] = await Promise.all([
        import('../../lab/context.js'),
        import('../../core/logger.js'),
        import('../../workers/worker-process.js'),
      ]);
      const logger = createLogger(settings);
      const lab = await openLab(settings);
      const pool = startWorkerPool(lab, { concurrency: options.concurrency, logger });
      logger.info(
        {
          workers: pool.ids,
          database: settings.dialect,
          lease_s: settings.jobLeaseSeconds,
          model_dir: settings.modelDir,
        },
        'chatlab worker ready',
      );
      if (settings.dialect === 'sqlite') {
        logger.warn('SQLite: workers must run on the same host as the database file (use PostgreSQL to scale out)');
      }
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          logger.info({ signal }, 'worker stopping: releasing the jobs in hand');
          void pool
            .stop()
            .then(() => lab.db.close())
            .then(() => process.exit(0));
        });
      }
    });
}
