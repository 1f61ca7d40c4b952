import {
  accepted,
  failure,
  fakeFeedbackService,
  instantSleep,
  response,
} from './testing/fake-feedback-service';
import { deliver, retryAfterMs } from './transport';
import type { FeedbackBody } from './types';

const body: FeedbackBody = {
  interaction_id: 'int-1',
  token: 'tok-1',
  rating: 'down',
  reasons: ['incorrect'],
};

function setup(...replies: Parameters<typeof fakeFeedbackService>) {
  const service = fakeFeedbackService(...replies);
  const clock = instantSleep();
  const send = (options: { isOnline?: () => boolean; maxDelayMs?: number } = {}) =>
    deliver('https://feedback.example.com/', body, {
      fetch: service.fetch,
      retry: { sleep: clock.sleep, maxDelayMs: options.maxDelayMs },
      isOnline: options.isOnline ?? (() => true),
    });
  return { ...service, ...clock, send };
}

describe('deliver', () => {
  it('POSTs the vote as JSON to {endpoint}/v1/feedback and returns the feedback id', async () => {
    const t = setup(accepted('fb-42'));
    await expect(t.send()).resolves.toEqual({ status: 'sent', feedbackId: 'fb-42' });
    expect(t.requests).toEqual([
      {
        url: 'https://feedback.example.com/v1/feedback',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      },
    ]);
  });

  it('retries a 503 with backoff, then succeeds', async () => {
    const t = setup(failure(503, 'unavailable'), accepted());
    await expect(t.send()).resolves.toMatchObject({ status: 'sent' });
    expect(t.requests).toHaveLength(2);
    expect(t.waits).toHaveLength(1);
    expect(t.waits[0]).toBeGreaterThanOrEqual(250);
    expect(t.waits[0]).toBeLessThanOrEqual(500);
  });

  it('doubles the backoff on each retry and gives up after 4 attempts, keeping the vote queued', async () => {
    const t = setup(failure(500, 'internal'));
    await expect(t.send()).resolves.toEqual({ status: 'queued', error: { status: 500, type: 'internal' } });
    expect(t.requests).toHaveLength(4);
    expect(t.waits).toHaveLength(3);
    t.waits.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(250 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(500 * 2 ** i);
    });
  });

  it('waits exactly what Retry-After asks on 429', async () => {
    const t = setup(failure(429, 'rate_limited', { 'Retry-After': '3' }), accepted());
    await expect(t.send()).resolves.toMatchObject({ status: 'sent' });
    expect(t.waits).toEqual([3000]);
  });

  it('ends the round without waiting when Retry-After is longer than maxDelayMs', async () => {
    const t = setup(failure(429, 'rate_limited', { 'Retry-After': '120' }), accepted());
    await expect(t.send({ maxDelayMs: 60_000 })).resolves.toMatchObject({ status: 'queued' });
    expect(t.requests).toHaveLength(1);
    expect(t.waits).toEqual([]);
  });

  it.each([
    [400, 'invalid_request'],
    [401, 'invalid_token'],
    [403, 'forbidden_origin'],
    [404, 'not_found'],
  ])('does not retry a %i', async (status, type) => {
    const t = setup(failure(status, type), accepted());
    await expect(t.send()).resolves.toEqual({ status: 'error', error: { status, type } });
    expect(t.requests).toHaveLength(1);
    expect(t.waits).toEqual([]);
  });

  it('retries a network failure', async () => {
    const t = setup('network-error', accepted());
    await expect(t.send()).resolves.toMatchObject({ status: 'sent' });
    expect(t.requests).toHaveLength(2);
  });

  it('retries a 5xx whose body is not JSON', async () => {
    const t = setup({ status: 502 }, accepted());
    await expect(t.send()).resolves.toMatchObject({ status: 'sent' });
    expect(t.requests).toHaveLength(2);
  });

  it('sends nothing while offline and keeps the vote queued', async () => {
    const t = setup(accepted());
    await expect(t.send({ isOnline: () => false })).resolves.toEqual({ status: 'queued', error: {} });
    expect(t.requests).toEqual([]);
  });

  it('stops retrying when the vote is no longer wanted (a newer vote replaced it)', async () => {
    const t = setup(failure(503, 'unavailable'), accepted());
    const result = await deliver('https://f.example', body, {
      fetch: t.fetch,
      retry: { sleep: t.sleep },
      isOnline: () => true,
      stillWanted: () => false,
    });
    expect(result.status).toBe('queued');
    expect(t.requests).toHaveLength(1);
  });
});

describe('deliver keepalive', () => {
  const flags = async (vote: FeedbackBody) => {
    const seen: boolean[] = [];
    await deliver('https://f.example', vote, {
      fetch: async (_url, init) => {
        seen.push(init.keepalive);
        return response(accepted());
      },
      isOnline: () => true,
    });
    return seen;
  };

  it('sends with keepalive, so a vote sent as the page goes away outlives it', async () => {
    expect(await flags(body)).toEqual([true]);
  });

  it('leaves keepalive off when the body could exceed the 64 KiB keepalive limit', async () => {
    // The longest comment and correction in 3-byte characters: 30 KB, well under the limit.
    const long = { ...body, comment: '€'.repeat(2000), correction: '€'.repeat(8000) };
    expect(JSON.stringify(long).length).toBeLessThan(20_000);
    expect(await flags(long)).toEqual([true]);
    // Control characters take 6 characters each in JSON: 48,000 for the longest correction.
    const escaped = { ...body, correction: '\u0001'.repeat(8000) };
    expect(await flags(escaped)).toEqual([false]);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delay-seconds and HTTP dates', () => {
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
  });
  it('ignores a missing or unreadable header', () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
