import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger };

/** What the logger needs of the settings (config/settings.ts), named here so core/ imports nothing above it. */
export interface LoggerSettings {
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  logDir: string;
}

/**
 * The process logger: JSON lines to stdout and, when `toFile` is set, to LOG_DIR/chatlab.log as
 * well. The file destination is synchronous so nothing is lost when the process exits.
 */
export function createLogger(settings: LoggerSettings, toFile = true): Logger {
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
