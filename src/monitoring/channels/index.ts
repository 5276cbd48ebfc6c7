import type { Logger } from '../../core/logger.js';
import { LogChannel } from './log.js';
import type { AlertChannel } from './types.js';
import { WebhookChannel } from './webhook.js';

export type { AlertChannel, AlertEvent } from './types.js';

export interface ChannelContext {
  logger: Pick<Logger, 'warn' | 'error'>;
  webhookSecret?: string;
}

/** `kind` (the part of an ALERT_CHANNELS entry before the first `:`) -> factory given the rest. */
const factories: Record<string, (arg: string, ctx: ChannelContext) => AlertChannel> = {
  log: (_arg, ctx) => new LogChannel(ctx.logger),
  webhook: (url, ctx) => new WebhookChannel({ url, secret: ctx.webhookSecret }),
};

/** Builds the channels named in ALERT_CHANNELS, e.g. `log,webhook:https://hooks.example.com/x`. */
export function createChannels(specs: string[], ctx: ChannelContext): AlertChannel[] {
  return specs.map((spec) => {
    const colon = spec.indexOf(':');
    const kind = colon === -1 ? spec : spec.slice(0, colon);
    const factory = factories[kind];
    if (!factory) throw new Error(`unknown alert channel "${kind}" (known: ${Object.keys(factories).join(', ')})`);
    return factory(colon === -1 ? '' : spec.slice(colon + 1), ctx);
  });
}
