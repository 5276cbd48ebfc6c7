import type { Settings } from '../config/settings.js';
import { openLab } from '../core/context.js';
import { createLogger } from '../core/logger.js';
import { buildApp, type LabApp } from './app.js';

export interface RunningServer {
  app: LabApp;
  url: string;
  stop(): Promise<void>;
}

/**
 * Opens the lab, listens, and shuts down gracefully on SIGINT/SIGTERM: the listener stops
 * accepting, in-flight requests finish, then the database closes.
 */
export async function startServer(settings: Settings, handleSignals = true): Promise<RunningServer> {
  const logger = createLogger(settings);
  const lab = await openLab(settings);
  const app = await buildApp(lab, { logger });
  app.addHook('onClose', async () => {
    await lab.db.close();
  });
  const url = await app.listen({ host: settings.host, port: settings.port });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= app.close());
  if (handleSignals) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        logger.info({ signal }, 'shutting down');
        void stop().then(() => process.exit(0));
      });
    }
  }
  logger.info({ url, docs: `${url}/docs`, database: settings.dialect }, 'chatlab listening');
  return { app, url, stop };
}
