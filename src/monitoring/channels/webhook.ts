import { createHmac } from 'node:crypto';
import type { AlertChannel, AlertEvent } from './types.js';

export interface WebhookOptions {
  url: string;
  /** Signs the body: `X-Chatlab-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. */
  secret?: string;
  timeoutMs?: number;
  /** Further attempts after the first one fails. */
  retries?: number;
  /** Wait before the first retry; doubled for each further retry. */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Errors worth retrying: network failures, timeouts, 5xx and 429. Other 4xx are final. */
class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** POSTs each alert as JSON, with a timeout and retries with exponential backoff. */
export class WebhookChannel implements AlertChannel {
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: WebhookOptions) {
    this.name = `webhook:${new URL(options.url).host}`;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 1000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private async attempt(body: string): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'chatlab-alerts' };
    if (this.options.secret) headers['x-chatlab-signature'] = signBody(this.options.secret, body);
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const reason =
        (err as Error).name === 'TimeoutError' ? `timed out after ${this.timeoutMs} ms` : (err as Error).message;
      throw new DeliveryError(reason, true);
    }
    await response.body?.cancel().catch(() => {});
    if (response.ok) return;
    throw new DeliveryError(`answered ${response.status}`, response.status >= 500 || response.status === 429);
  }

  async send(event: AlertEvent): Promise<void> {
    const body = JSON.stringify(event);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(body);
      } catch (err) {
        const retryable = err instanceof DeliveryError && err.retryable;
        if (!retryable || attempt >= this.retries) {
          throw new Error(`webhook ${this.name} failed after ${attempt + 1} attempt(s): ${(err as Error).message}`);
        }
        await this.sleep(this.backoffMs * 2 ** attempt);
      }
    }
  }
}
