import type { DeliveryError, FeedbackBody } from './types';

/** The slice of `fetch` the widget uses. The browser's `fetch` fits; tests pass a fake. */
export type FetchLike = (
  url: string,
  init: {
    method: 'POST';
    headers: Record<string, string>;
    body: string;
    credentials: 'omit';
    signal?: AbortSignal;
    /** Lets a vote sent as the page goes away outlive it; false only for bodies that could
     * exceed the browser's 64 KiB keepalive limit. */
    keepalive: boolean;
  },
) => Promise<ResponseLike>;

export interface ResponseLike {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

export interface RetryOptions {
  /** Attempts per delivery round, the first one included. Default 4. */
  attempts?: number;
  /** Backoff before the first retry; doubles on each retry, with jitter. Default 500 ms. */
  baseDelayMs?: number;
  /** Longest wait between attempts. A longer `Retry-After` ends the round and the vote stays
   * queued for the next flush (mount or `online`). Default 30 s. */
  maxDelayMs?: number;
  /** How to wait; injectable so tests need no real time. */
  sleep?: (ms: number) => Promise<void>;
}

/** `sent`: accepted. `error`: refused for good (400/401/403 or another 4xx), drop it.
 * `queued`: offline, or 408/429/5xx/network failure on every attempt; keep it for a later flush. */
export type Delivery =
  { status: 'sent'; feedbackId?: string } | { status: 'error' | 'queued'; error: DeliveryError };

export interface DeliverOptions {
  fetch: FetchLike;
  retry?: RetryOptions;
  isOnline?: () => boolean;
  /** Checked before each retry: false ends the round (a newer vote replaced this one). */
  stillWanted?: () => boolean;
}

const REQUEST_TIMEOUT_MS = 20_000;

const isRetryable = (status: number): boolean => status === 408 || status === 429 || status >= 500;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const browserOnline = (): boolean => navigator.onLine !== false;

/** POSTs one vote, retrying transient failures with exponential backoff and honouring `Retry-After`. */
export async function deliver(
  endpoint: string,
  body: FeedbackBody,
  options: DeliverOptions,
): Promise<Delivery> {
  const { attempts = 4, baseDelayMs = 500, maxDelayMs = 30_000, sleep = realSleep } = options.retry ?? {};
  const { isOnline = browserOnline, stillWanted = () => true } = options;
  const url = endpoint.replace(/\/+$/, '') + '/v1/feedback';
  const payload = JSON.stringify(body);
  for (let attempt = 1; ; attempt++) {
    if (!isOnline()) return { status: 'queued', error: {} };
    let error: DeliveryError = {};
    let delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
    try {
      const res = await options.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        credentials: 'omit',
        // UTF-8 takes at most 3 bytes per UTF-16 unit: 20,000 units stay under 64 KiB.
        keepalive: payload.length < 20_000,
        // A stalled connection must not hold the queue (and its lock) for minutes.
        signal: AbortSignal.timeout?.(REQUEST_TIMEOUT_MS),
      });
      const json = await res.json().catch(() => undefined);
      if (res.ok) return { status: 'sent', feedbackId: text(json, 'feedback_id') };
      error = { status: res.status, type: text(json, 'error', 'type') };
      if (!isRetryable(res.status)) return { status: 'error', error };
      const retryAfter = retryAfterMs(res.headers.get('retry-after'));
      if (retryAfter !== undefined) delay = retryAfter;
    } catch {
      // Network failure or timeout (fetch rejects): retry like a 503.
    }
    if (attempt >= attempts || delay > maxDelayMs) return { status: 'queued', error };
    await sleep(delay);
    if (!stillWanted()) return { status: 'queued', error };
  }
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** `value[key]` of a parsed JSON body when it is a string; the server's body is data, never trusted. */
function text(value: unknown, ...path: string[]): string | undefined {
  for (const key of path) value = (value as Record<string, unknown> | null | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
}
