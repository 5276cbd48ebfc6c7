import type { Logger } from '../../core/logger.js';
import type { AlertChannel, AlertEvent } from './types.js';

/** Writes alerts to the lab's log: firing at error level, resolved at warn level. */
export class LogChannel implements AlertChannel {
  readonly name = 'log';

  constructor(private readonly logger: Pick<Logger, 'warn' | 'error'>) {}

  async send(event: AlertEvent): Promise<void> {
    const fields = { alert: event };
    if (event.state === 'firing') this.logger.error(fields, `alert firing: ${event.message}`);
    else this.logger.warn(fields, `alert resolved: ${event.message}`);
  }
}
