import type { Settings } from '../config/settings.js';
import { openLab } from '../lab/context.js';
import { createLogger } from '../core/logger.js';
import { assertSafeExposure, isLoopbackHost } from '../security/exposure.js';
import { persistRunEvents } from '../workers/event-store.js';
import { buildApp, type LabApp } from './app.js';

export interface RunningServer {
  app: LabApp;
  url: string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  handleSignals?: boolean;
  /** Allow listening on a non-loopback address with auth off (`chatlab serve --insecure`). */
  insecure?: boolean;
  /** Alert evaluation and request-sampling intervals (defaults: 15 s and 60 s). */
  alertIntervalMs?: number;
  sampleIntervalMs?: number;
}

/**
 * Opens the lab, listens, starts the alert evaluator and the minute sampler, and shuts down
 * gracefully on SIGINT/SIGTERM: the listener stops accepting, in-flight requests finish, the
 * timers stop (the last minute of request figures is stored), then the database closes.
 */
export async function startServer(settings: Settings, options: ServerOptions | boolean = {}): Promise<RunningServer> {
  const opts: ServerOptions = typeof options === 'boolean' ? { handleSignals: options } : options;
  assertSafeExposure(settings, opts.insecure);
  const logger = createLogger(settings);
  const lab = await openLab(settings);
  const app = await buildApp(lab, { logger });
  // Progress of runs executed here is written to the database for the other API instances' SSE.
  const events = persistRunEvents(lab);
  app.addHook('onClose', async () => {
    await app.monitoring.stop();
    await events.stop();
    await lab.db.close();
  });
  const url = await app.listen({ host: settings.host, port: settings.port });
  app.monitoring.start({ alertsMs: opts.alertIntervalMs, sampleMs: opts.sampleIntervalMs });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= app.close());
  if (opts.handleSignals ?? true) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        logger.info({ signal }, 'shutting down');
        void stop().then(() => process.exit(0));
      });
    }
  }
  if (settings.auth === 'off' && !isLoopbackHost(settings.host)) {
    logger.warn({ host: settings.host }, 'API authentication is OFF on a network address (--insecure)');
  }
  logger.info(
    { url, docs: `${url}/docs`, database: settings.dialect, auth: settings.auth, alert_rules: settings.alerts.length },
    'chatlab listening',
  );
  const stored = await lab.db.kysely
    .selectFrom('datasets')
    .select('id')
    .where('status', '=', 'ready')
    .limit(1)
    .executeTakeFirst();
  if (!stored) {
    logger.info(
      { url, command: 'chatlab examples load' },
      `the lab is empty: open ${url}/ and click "Load example workspace" (or run chatlab examples load)`,
    );
  }
  return { app, url, stop };
}
