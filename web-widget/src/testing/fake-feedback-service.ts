// Test double for the feedback service: an injectable `fetch` that records every request and
// answers with scripted replies (the last one repeats). Not part of the bundles.
import type { FetchLike, ResponseLike } from '../transport';
import type { FeedbackBody } from '../types';

export interface HttpReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
export type Reply = HttpReply | 'network-error';

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: FeedbackBody;
}

export const accepted = (feedbackId = 'fb-1'): HttpReply => ({
  status: 202,
  body: { feedback_id: feedbackId },
});
export const failure = (status: number, type: string, headers?: Record<string, string>): HttpReply => ({
  status,
  body: { error: { type, message: `${type} (status ${status})` } },
  headers,
});

export function response({ status, body, headers = {} }: HttpReply): ResponseLike {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    ok: status >= 200 && status < 300,
    status,
    headers: { get: (name) => lower[name.toLowerCase()] ?? null },
    json: async () => {
      if (body === undefined) throw new SyntaxError('Unexpected end of JSON input');
      return body;
    },
  };
}

export function fakeFeedbackService(...replies: Reply[]) {
  const requests: RecordedRequest[] = [];
  const fetch: FetchLike = async (url, init) => {
    requests.push({
      url,
      method: init.method,
      headers: init.headers,
      body: JSON.parse(init.body) as FeedbackBody,
    });
    const reply = replies[Math.min(requests.length, replies.length) - 1] ?? accepted();
    if (reply === 'network-error') throw new TypeError('Failed to fetch');
    return response(reply);
  };
  return { fetch, requests };
}

/** A `sleep` that returns at once and remembers what it was asked to wait. */
export function instantSleep() {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };
  return { sleep, waits };
}

/** An in-memory `localStorage` stand-in. */
export function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    getItem: (key: string) => data.get(key) ?? null,
    setItem: (key: string, value: string) => void data.set(key, value),
    removeItem: (key: string) => void data.delete(key),
    data,
  };
}
