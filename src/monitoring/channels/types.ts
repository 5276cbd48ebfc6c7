/** What a channel is told when a rule changes state. */
export interface AlertEvent {
  rule: string;
  metric: string;
  state: 'firing' | 'resolved';
  value: number;
  threshold: number;
  direction: 'above' | 'below';
  for_s: number;
  /** When the alert started firing (ISO). */
  started_at: string;
  /** When this event happened (ISO). */
  time: string;
  message: string;
  /** What the metric knows about the breach, e.g. `model_version` and `top_moved_intents` for model metrics. */
  details?: Record<string, unknown>;
}

/**
 * A place alerts are delivered to. A new channel is one file implementing this plus one line in
 * channels/index.ts. `send` may throw; the dispatcher catches, so a channel never breaks the lab.
 */
export interface AlertChannel {
  readonly name: string;
  send(event: AlertEvent): Promise<void>;
}
