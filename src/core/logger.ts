import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { Settings } from '../config/settings.js';

export type { Logger };

/**
 * The process logger: JSON lines to stdout and, when `toFile` is set, to LOG_DIR/chatlab.log as
 * well. The file destination is synchronous so nothing is lost when the process exits.
 */
export function createLogger(settings: Pick<Settings, 'logLevel' | 'logDir'>, toFile = true): Logger {
  const streams: pino.StreamEntry[] = [
    { level: settings.logLevel === 'silent' ? 'fatal' : settings.logLevel, stream: process.stdout },
  ];
  if (toFile && settings.logLevel !== 'silent') {
    mkdirSync(settings.logDir, { recursive: true });
    streams.push({
      level: settings.logLevel,
      stream: pino.destination({ dest: path.join(settings.logDir, 'chatlab.log'), sync: true }),
    });
  }
  return pino({ level: settings.logLevel }, pino.multistream(streams));
}
