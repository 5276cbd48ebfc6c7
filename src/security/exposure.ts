import type { Settings } from '../config/settings.js';
import { AppError } from '../core/errors.js';

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Refuses to expose an unauthenticated API to the network unless explicitly told to. */
export function assertSafeExposure(settings: Pick<Settings, 'host' | 'auth'>, insecure = false): void {
  if (settings.auth === 'off' && !isLoopbackHost(settings.host) && !insecure) {
    throw new AppError(
      'INSECURE',
      `refusing to listen on ${settings.host} with CHATLAB_AUTH=off: anyone on the network could change the lab; set CHATLAB_AUTH=required (and create keys with chatlab keys create) or pass --insecure`,
      400,
    );
  }
}
