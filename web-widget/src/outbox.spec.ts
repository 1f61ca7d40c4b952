import { createOutbox, defaultOutbox, type OutboxOptions, type VoteEvent } from './outbox';
import { createVoteQueue, queueKey } from './queue';
import {
  accepted,
  failure,
  fakeFeedbackService,
  instantSleep,
  memoryStorage,
  response,
} from './testing/fake-feedback-service';
import type { FetchLike } from './transport';
import type { FeedbackBody } from './types';

const ENDPOINT = 'https://feedback.example.com';
/** Lets every pending promise chain run (the fake service answers without timers). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const vote = (
  interactionId: string,
  rating: 'up' | 'down',
  extra: Partial<FeedbackBody> = {},
): FeedbackBody => ({
  interaction_id: interactionId,
  token: `tok-${interactionId}`,
  rating,
  ...extra,
});

function setup(options: Partial<OutboxOptions> & { replies?: Parameters<typeof fakeFeedbackService> } = {}) {
  const service = fakeFeedbackService(...(options.replies ?? []));
  const storage = memoryStorage();
  let online = true;
  const events: VoteEvent[] = [];
  const make = () =>
    createOutbox({
      fetch: service.fetch,
      storage,
      retry: { sleep: instantSleep().sleep },
      isOnline: () => online,
      key: queueKey(ENDPOINT),
      ...options,
    });
  const outbox = make();
  outbox.subscribe((e) => events.push(e));
  return {
    ...service,
    storage,
    outbox,
    make,
    events,
    setOnline: (value: boolean) => (online = value),
    stored: () => JSON.parse(storage.getItem(queueKey(ENDPOINT)) ?? '[]') as unknown[],
  };
}

describe('outbox', () => {
  it('sends a vote and empties the queue', async () => {
    const t = setup();
    await t.outbox.submit(ENDPOINT, vote('a', 'up'));
    expect(t.requests.map((r) => r.body)).toEqual([vote('a', 'up')]);
    expect(t.stored()).toEqual([]);
    expect(t.events.map((e) => e.status)).toEqual(['sending', 'sent']);
    expect(t.events.at(-1)).toEqual({ interactionId: 'a', status: 'sent', feedbackId: 'fb-1' });
  });

  it('keeps an offline vote in storage and sends it exactly once when back online', async () => {
    const t = setup();
    t.setOnline(false);
    await t.outbox.submit(ENDPOINT, vote('a', 'down', { reasons: ['unsafe'] }));
    expect(t.requests).toEqual([]);
    expect(t.stored()).toHaveLength(1);
    expect(t.events.at(-1)).toMatchObject({ interactionId: 'a', status: 'queued' });

    t.setOnline(true);
    window.dispatchEvent(new Event('online'));
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(t.requests.map((r) => r.body)).toEqual([vote('a', 'down', { reasons: ['unsafe'] })]);
    await t.outbox.flush();
    expect(t.requests).toHaveLength(1);
    expect(t.stored()).toEqual([]);
    expect(t.events.at(-1)).toMatchObject({ interactionId: 'a', status: 'sent' });
  });

  it('keeps no token, comment or correction in storage once a vote is sent', async () => {
    const t = setup();
    t.setOnline(false);
    const detailed = vote('a', 'down', { comment: 'private remark', correction: 'the right answer' });
    await t.outbox.submit(ENDPOINT, detailed);
    // queued while offline: kept (a reload must not lose it), under the endpoint's own key
    expect([...t.storage.data.keys()]).toEqual([queueKey(ENDPOINT)]);
    expect(t.storage.getItem(queueKey(ENDPOINT))).toContain('private remark');
    t.setOnline(true);
    await t.outbox.flush();
    expect(t.requests.map((r) => r.body)).toEqual([detailed]);
    expect([...t.storage.data.entries()]).toEqual([]);
  });

  it("scopes storage per endpoint: the outbox of one endpoint never reads or sends another's votes", async () => {
    const OTHER = 'https://other.example/fb';
    const storage = memoryStorage();
    const service = fakeFeedbackService();
    let online = false;
    const outboxFor = (endpoint: string) =>
      createOutbox({ fetch: service.fetch, storage, key: queueKey(endpoint), isOnline: () => online });
    await outboxFor(ENDPOINT).submit(ENDPOINT, vote('a', 'up'));
    await outboxFor(OTHER).submit(OTHER, vote('b', 'down', { comment: 'for other' }));
    expect([...storage.data.keys()].sort()).toEqual([queueKey(ENDPOINT), queueKey(OTHER)].sort());

    // After a reload, a widget for ENDPOINT neither sees nor sends OTHER's vote.
    online = true;
    const afterReload = outboxFor(ENDPOINT);
    expect(afterReload.queued('b')).toBeUndefined();
    await afterReload.flush();
    expect(service.requests.map((r) => [r.url, r.body.interaction_id])).toEqual([
      [`${ENDPOINT}/v1/feedback`, 'a'],
    ]);
    expect([...storage.data.keys()]).toEqual([queueKey(OTHER)]);
    await outboxFor(OTHER).flush();
    expect(service.requests.map((r) => r.body.interaction_id)).toEqual(['a', 'b']);
    expect([...storage.data.keys()]).toEqual([]);
    expect(queueKey(ENDPOINT)).toBe('flywheel-feedback-outbox https://feedback.example.com');
  });

  it('gives each endpoint its own default outbox', () => {
    expect(defaultOutbox(ENDPOINT)).toBe(defaultOutbox(ENDPOINT));
    expect(defaultOutbox(ENDPOINT)).not.toBe(defaultOutbox('https://other.example'));
  });

  it('replaces a queued vote with a newer one for the same interaction', async () => {
    const t = setup();
    t.setOnline(false);
    await t.outbox.submit(ENDPOINT, vote('a', 'down'));
    await t.outbox.submit(ENDPOINT, vote('b', 'up'));
    await t.outbox.submit(ENDPOINT, vote('a', 'up'));
    expect(t.stored()).toHaveLength(2);
    t.setOnline(true);
    await t.outbox.flush();
    expect(t.requests.map((r) => r.body)).toEqual([vote('b', 'up'), vote('a', 'up')]);
  });

  it('survives a reload: a new outbox on the same storage sends what the old one queued, once', async () => {
    const t = setup();
    t.setOnline(false);
    await t.outbox.submit(ENDPOINT, vote('a', 'up'));
    t.setOnline(true);
    const afterReload = t.make();
    expect(afterReload.queued('a')?.body).toEqual(vote('a', 'up'));
    await Promise.all([afterReload.flush(), afterReload.flush(), t.outbox.flush()]);
    await afterReload.flush();
    expect(t.requests).toHaveLength(1);
  });

  it('never overlaps flushes: concurrent flushes send each vote once', async () => {
    const t = setup();
    t.setOnline(false);
    await t.outbox.submit(ENDPOINT, vote('a', 'up'));
    await t.outbox.submit(ENDPOINT, vote('b', 'down'));
    t.setOnline(true);
    await Promise.all([t.outbox.flush(), t.outbox.flush(), t.outbox.flush()]);
    expect(t.requests.map((r) => r.body.interaction_id)).toEqual(['a', 'b']);
  });

  it('sends a vote made while an older one is in flight after it, so the newest wins', async () => {
    const requests: FeedbackBody[] = [];
    let firstArrived: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (firstArrived = resolve));
    let releaseFirst: () => void = () => undefined;
    const fetch: FetchLike = async (_url, init) => {
      requests.push(JSON.parse(init.body) as FeedbackBody);
      if (requests.length === 1) {
        firstArrived();
        await new Promise<void>((resolve) => (releaseFirst = resolve));
      }
      return response({ status: 202, body: { feedback_id: `fb-${requests.length}` } });
    };
    const t = setup({ fetch });
    const first = t.outbox.submit(ENDPOINT, vote('a', 'up'));
    await arrived;
    const second = t.outbox.submit(ENDPOINT, vote('a', 'down', { comment: 'actually wrong' }));
    releaseFirst();
    await Promise.all([first, second]);
    expect(requests).toEqual([vote('a', 'up'), vote('a', 'down', { comment: 'actually wrong' })]);
    expect(t.stored()).toEqual([]);
    expect(t.events.filter((e) => e.status === 'sent')).toEqual([
      { interactionId: 'a', status: 'sent', feedbackId: 'fb-2' },
    ]);
  });

  it('sends a vote made as the page goes away at once, without waiting for the lock', async () => {
    const t = setup();
    const leaving = t.outbox.submit(ENDPOINT, vote('a', 'down'), true);
    // Synchronously: a page being unloaded runs no later task (a lock grant is one).
    expect(t.requests.map((r) => r.body)).toEqual([vote('a', 'down')]);
    await leaving;
    expect(t.stored()).toEqual([]);
    expect(t.events.map((e) => e.status)).toEqual(['sending', 'sent']);

    const normal = t.outbox.submit(ENDPOINT, vote('b', 'up'));
    expect(t.requests).toHaveLength(1);
    await normal;
    expect(t.requests).toHaveLength(2);
  });

  it('keeps a vote made offline as the page goes away queued, and sends it once later', async () => {
    const t = setup();
    t.setOnline(false);
    await t.outbox.submit(ENDPOINT, vote('a', 'down'), true);
    expect(t.requests).toEqual([]);
    expect(t.stored()).toHaveLength(1);
    t.setOnline(true);
    await Promise.all([t.make().flush(), t.outbox.flush()]);
    expect(t.requests.map((r) => r.body)).toEqual([vote('a', 'down')]);
    expect(t.stored()).toEqual([]);
  });

  it('drops a vote the service refuses (401) and never sends it again', async () => {
    const t = setup({ replies: [failure(401, 'invalid_token')] });
    await t.outbox.submit(ENDPOINT, vote('a', 'up'));
    await t.outbox.flush();
    expect(t.requests).toHaveLength(1);
    expect(t.stored()).toEqual([]);
    expect(t.events.at(-1)).toEqual({
      interactionId: 'a',
      status: 'error',
      error: { status: 401, type: 'invalid_token' },
    });
  });

  it('keeps a vote queued when the service stays down, and sends it on the next flush', async () => {
    const t = setup({
      replies: [
        failure(503, 'down'),
        failure(503, 'down'),
        failure(503, 'down'),
        failure(503, 'down'),
        accepted(),
      ],
    });
    await t.outbox.submit(ENDPOINT, vote('a', 'up'));
    expect(t.requests).toHaveLength(4);
    expect(t.stored()).toHaveLength(1);
    expect(t.events.at(-1)).toMatchObject({ status: 'queued' });
    await t.outbox.flush();
    expect(t.requests).toHaveLength(5);
    expect(t.stored()).toEqual([]);
  });

  it('flushes on `online` only while someone listens', async () => {
    const service = fakeFeedbackService();
    let online = false;
    const outbox = createOutbox({ fetch: service.fetch, storage: memoryStorage(), isOnline: () => online });
    const unsubscribe = outbox.subscribe(() => undefined);
    await outbox.submit(ENDPOINT, vote('a', 'up'));
    unsubscribe();
    online = true;
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(service.requests).toEqual([]);
    outbox.subscribe(() => undefined);
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(service.requests).toHaveLength(1);
  });

  it('works in memory when storage throws', async () => {
    const service = fakeFeedbackService();
    let online = false;
    const broken = {
      getItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      setItem: () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
      removeItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
    };
    const outbox = createOutbox({ fetch: service.fetch, storage: broken, isOnline: () => online });
    await outbox.submit(ENDPOINT, vote('a', 'up'));
    expect(outbox.queued('a')?.body.rating).toBe('up');
    online = true;
    await outbox.flush();
    expect(service.requests).toHaveLength(1);
    expect(outbox.queued('a')).toBeUndefined();
  });
});

describe('vote queue', () => {
  it('ignores corrupt or foreign storage content', () => {
    const storage = memoryStorage({ [queueKey(ENDPOINT)]: '{not json' });
    const opened = () => createVoteQueue(storage, queueKey(ENDPOINT));
    expect(opened().list()).toEqual([]);
    storage.setItem(queueKey(ENDPOINT), JSON.stringify([{ hello: 'world' }, null, 3]));
    expect(opened().list()).toEqual([]);
  });

  it('drops votes older than a week (their token has expired)', () => {
    const storage = memoryStorage();
    let now = Date.parse('2025-01-01T00:00:00Z');
    const queue = createVoteQueue(storage, undefined, () => now);
    queue.put(ENDPOINT, vote('a', 'up'));
    now += 6 * 24 * 3600 * 1000;
    expect(queue.list()).toHaveLength(1);
    now += 2 * 24 * 3600 * 1000;
    expect(queue.list()).toEqual([]);
  });

  it('keeps at most 50 votes, dropping the oldest', () => {
    const queue = createVoteQueue(memoryStorage());
    for (let i = 0; i < 60; i++) queue.put(ENDPOINT, vote(`i${i}`, 'up'));
    const ids = queue.list().map((e) => e.body.interaction_id);
    expect(ids).toHaveLength(50);
    expect(ids[0]).toBe('i10');
    expect(ids.at(-1)).toBe('i59');
  });
});
