import { AUTH_REQUIRED_EVENT, getApiKey } from './api.js';
import type { RunEvent } from './types.js';

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * Parses a text/event-stream body. Written by hand instead of EventSource because EventSource
 * cannot send the Authorization header an API key needs.
 */
export function parseSseChunk(buffer: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (data.length > 0) messages.push({ event, data: data.join('\n'), id });
  }
  return { messages, rest };
}

/** Streams a server-sent-events endpoint until it ends or `signal` aborts. */
export async function streamSse(
  path: string,
  onMessage: (message: SseMessage) => void,
  signal: AbortSignal,
): Promise<void> {
  const key = getApiKey();
  const response = await fetch(path, {
    headers: { accept: 'text/event-stream', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    signal,
  });
  if (response.status === 401)
    window.dispatchEvent(new CustomEvent(AUTH_REQUIRED_EVENT, { detail: 'API key required' }));
  if (!response.ok || !response.body) throw new Error(`event stream answered ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const parsed = parseSseChunk(buffer + value);
    buffer = parsed.rest;
    parsed.messages.forEach(onMessage);
  }
}

/**
 * Streams a run's events (`GET /training/runs/{id}/events`) until the run ends or `signal` aborts.
 * Each message's data is one RunEvent as JSON; one that is not fails the stream.
 */
export function streamRunEvents(runId: number, onEvent: (event: RunEvent) => void, signal: AbortSignal): Promise<void> {
  return streamSse(
    `/training/runs/${runId}/events`,
    (message) => onEvent(JSON.parse(message.data) as RunEvent),
    signal,
  );
}
