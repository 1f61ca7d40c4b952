import { randomUUID } from 'node:crypto';
import { Topics, type FeedbackEvent } from '@flywheel/contracts';
import { InvalidEventError, RetryableError, UnrecoverableError } from '../bus/errors';
import type { EventBus, IncomingEvent, Subscription } from '../bus/event-bus';
import { expectEventually } from './expect-eventually';

export interface DeadLetter {
  key: string;
  headers: Record<string, string | undefined>;
  value: string | null;
}

export interface BusUnderTest {
  bus: EventBus;
  /** put a message on a topic as-is, skipping the publisher's validation (a poison message) */
  injectRaw(topic: string, key: string, headers: Record<string, string>, value: string | null): Promise<void>;
  /** messages on the DLQ topic so far */
  deadLetters(): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

/** A valid FeedbackEvent; `n` makes it distinguishable. */
export function sampleFeedback(interactionId: string, n = 1): FeedbackEvent {
  return {
    feedback_id: `fb-${interactionId}-${n}`,
    interaction_id: interactionId,
    route: 'demo-chat',
    variant: 'control',
    subject_hash: 'a'.repeat(64),
    rating: n % 2 === 0 ? 'up' : 'down',
    reasons: ['incorrect'],
    revision: n,
    created_at: new Date().toISOString(),
  };
}

/**
 * The event bus contract: both adapters must pass it. Tests isolate themselves with unique
 * keys and group ids, so they can share one broker and its fixed topics with other tests.
 */
export function describeEventBusContract(
  name: string,
  factory: () => Promise<BusUnderTest>,
  timeoutMs = 30_000,
): void {
  describe(`EventBus contract: ${name}`, () => {
    let t: BusUnderTest;
    const subs: Subscription[] = [];
    const run = randomUUID().slice(0, 8);
    const group = (label: string) => `contract-${run}-${label}`;
    const mine = (e: IncomingEvent, prefix: string) => e.key.startsWith(prefix);

    beforeAll(async () => {
      t = await factory();
    }, timeoutMs);
    afterEach(async () => {
      await Promise.all(subs.splice(0).map((s) => s.stop()));
    }, timeoutMs);
    afterAll(async () => {
      await t?.close();
    }, timeoutMs);

    it(
      'delivers a published event with its CloudEvents attributes and validated data',
      async () => {
        const key = `${run}-basic-${randomUUID()}`;
        const got: IncomingEvent[] = [];
        subs.push(
          await t.bus.subscribe({
            group: group('basic'),
            topics: [Topics.feedback],
            handler: async (e) => void (mine(e, key) && got.push(e)),
          }),
        );
        const data = sampleFeedback(key);
        const receipt = await t.bus.publish({ type: 'dev.flywheel.feedback.v1', key, data });
        const [event] = await expectEventually(
          () => {
            expect(got).toHaveLength(1);
            return got;
          },
          { timeoutMs },
        );
        expect(event).toMatchObject({
          id: receipt.id,
          type: 'dev.flywheel.feedback.v1',
          key,
          topic: Topics.feedback,
          attempt: 1,
        });
        expect(event!.data).toEqual(data);
        expect(Date.parse(event!.time)).not.toBeNaN();
      },
      timeoutMs * 2,
    );

    it(
      'rejects data that fails its schema at publish, and nothing is delivered',
      async () => {
        const key = `${run}-invalid-${randomUUID()}`;
        const bad = { ...sampleFeedback(key), rating: 'meh' } as unknown as FeedbackEvent;
        await expect(
          t.bus.publish({ type: 'dev.flywheel.feedback.v1', key, data: bad }),
        ).rejects.toBeInstanceOf(InvalidEventError);
        const got: IncomingEvent[] = [];
        subs.push(
          await t.bus.subscribe({
            group: group('invalid'),
            topics: [Topics.feedback],
            handler: async (e) => void (mine(e, `${run}-invalid`) && got.push(e)),
          }),
        );
        // A marker published after the rejected one proves the consumer got this far.
        await t.bus.publish({
          type: 'dev.flywheel.feedback.v1',
          key: `${run}-invalid-marker`,
          data: sampleFeedback('marker'),
        });
        await expectEventually(() => expect(got.map((e) => e.key)).toEqual([`${run}-invalid-marker`]), {
          timeoutMs,
        });
      },
      timeoutMs * 2,
    );

    it(
      'keeps per-key order across many keys',
      async () => {
        const keys = Array.from({ length: 5 }, (_, i) => `${run}-order-${i}`);
        const seen = new Map<string, number[]>();
        subs.push(
          await t.bus.subscribe({
            group: group('order'),
            topics: [Topics.feedback],
            handler: async (e) => {
              if (!mine(e, `${run}-order-`) || e.type !== 'dev.flywheel.feedback.v1') return;
              seen.set(e.key, [...(seen.get(e.key) ?? []), e.data.revision]);
            },
          }),
        );
        const publishes: Promise<unknown>[] = [];
        for (let n = 1; n <= 40; n++) {
          for (const key of keys)
            publishes.push(
              t.bus.publish({ type: 'dev.flywheel.feedback.v1', key, data: sampleFeedback(key, n) }),
            );
        }
        await Promise.all(publishes);
        const expected = Array.from({ length: 40 }, (_, i) => i + 1);
        await expectEventually(() => keys.forEach((k) => expect(seen.get(k)).toEqual(expected)), {
          timeoutMs,
        });
      },
      timeoutMs * 2,
    );

    it(
      'redelivers after a handler failure, then moves on',
      async () => {
        const key = `${run}-retry-${randomUUID()}`;
        const attempts: number[] = [];
        const handled: string[] = [];
        subs.push(
          await t.bus.subscribe({
            group: group('retry'),
            topics: [Topics.feedback],
            retryBaseMs: 10,
            handler: async (e) => {
              if (!mine(e, `${run}-retry-`)) return;
              if (e.key === key) {
                attempts.push(e.attempt);
                if (e.attempt < 3) throw new Error('sink hiccup');
              }
              handled.push(e.key);
            },
          }),
        );
        await t.bus.publish({ type: 'dev.flywheel.feedback.v1', key, data: sampleFeedback(key) });
        await expectEventually(
          () => {
            expect(attempts).toEqual([1, 2, 3]);
            expect(handled).toEqual([key]);
          },
          { timeoutMs },
        );
      },
      timeoutMs * 2,
    );

    it(
      'keeps retrying a RetryableError past maxAttempts (a dependency is down), never DLQs it',
      async () => {
        const key = `${run}-down-${randomUUID()}`;
        const attempts: number[] = [];
        subs.push(
          await t.bus.subscribe({
            group: group('down'),
            topics: [Topics.feedback],
            maxAttempts: 2,
            retryBaseMs: 5,
            handler: async (e) => {
              if (e.key !== key) return;
              attempts.push(e.attempt);
              if (e.attempt < 5) throw new RetryableError('database unreachable');
            },
          }),
        );
        await t.bus.publish({ type: 'dev.flywheel.feedback.v1', key, data: sampleFeedback(key) });
        await expectEventually(() => expect(attempts).toEqual([1, 2, 3, 4, 5]), { timeoutMs });
        expect((await t.deadLetters()).filter((d) => d.key === key)).toEqual([]);
      },
      timeoutMs * 2,
    );

    it(
      'sends a schema-invalid (poison) message to the DLQ with the reason, and handles the next one',
      async () => {
        const key = `${run}-poison-${randomUUID()}`;
        const g = group('poison');
        const handled: IncomingEvent[] = [];
        subs.push(
          await t.bus.subscribe({
            group: g,
            topics: [Topics.feedback],
            handler: async (e) => void (e.key === key && handled.push(e)),
          }),
        );
        await t.injectRaw(
          Topics.feedback,
          key,
          {
            ce_specversion: '1.0',
            ce_id: `poison-${key}`,
            ce_type: 'dev.flywheel.feedback.v1',
            ce_source: 'test',
            'content-type': 'application/json',
          },
          '{"rating": 42}',
        );
        await t.bus.publish({ type: 'dev.flywheel.feedback.v1', key, data: sampleFeedback(key, 2) });
        await expectEventually(
          () =>
            expect(handled.map((e) => e.type === 'dev.flywheel.feedback.v1' && e.data.revision)).toEqual([2]),
          { timeoutMs },
        );
        const dead = await expectEventually(
          async () => {
            const d = (await t.deadLetters()).filter(
              (x) => x.key === key && x.headers.flywheel_consumer_group === g,
            );
            expect(d).toHaveLength(1);
            return d[0]!;
          },
          { timeoutMs },
        );
        expect(dead.headers.flywheel_error).toMatch(/^invalid_event: .*rating/);
        expect(dead.headers.ce_id).toBe(`poison-${key}`);
        expect(dead.headers.flywheel_source_topic).toBe(Topics.feedback);
        expect(dead.value).toBe('{"rating": 42}');
      },
      timeoutMs * 2,
    );

    it(
      'sends an event to the DLQ on UnrecoverableError, and after maxAttempts of a generic error',
      async () => {
        const unrecoverable = `${run}-unrec-${randomUUID()}`;
        const failing = `${run}-failing-${randomUUID()}`;
        const after = `${run}-after-${randomUUID()}`;
        const g = group('dead');
        const calls = new Map<string, number>();
        const handled: string[] = [];
        subs.push(
          await t.bus.subscribe({
            group: g,
            topics: [Topics.feedback],
            maxAttempts: 3,
            retryBaseMs: 5,
            handler: async (e) => {
              if (![unrecoverable, failing, after].includes(e.key)) return;
              calls.set(e.key, (calls.get(e.key) ?? 0) + 1);
              if (e.key === unrecoverable) throw new UnrecoverableError('route no longer exists');
              if (e.key === failing) throw new TypeError('cannot read properties of undefined');
              handled.push(e.key);
            },
          }),
        );
        // Same key for ordering would be simpler, but distinct keys prove the partition is not blocked
        // whichever partitions they land on.
        await t.bus.publish({
          type: 'dev.flywheel.feedback.v1',
          key: unrecoverable,
          data: sampleFeedback(unrecoverable),
        });
        await t.bus.publish({
          type: 'dev.flywheel.feedback.v1',
          key: failing,
          data: sampleFeedback(failing),
        });
        await t.bus.publish({ type: 'dev.flywheel.feedback.v1', key: after, data: sampleFeedback(after) });
        await expectEventually(() => expect(handled).toEqual([after]), { timeoutMs });
        const dead = await expectEventually(
          async () => {
            const d = (await t.deadLetters()).filter(
              (x) => x.headers.flywheel_consumer_group === g && [unrecoverable, failing].includes(x.key),
            );
            expect(d).toHaveLength(2);
            return d;
          },
          { timeoutMs },
        );
        const reasons = Object.fromEntries(dead.map((d) => [d.key, d.headers.flywheel_error]));
        expect(reasons[unrecoverable]).toBe('unrecoverable: route no longer exists');
        expect(reasons[failing]).toBe('handler_failed after 3 attempts: cannot read properties of undefined');
        expect(calls.get(unrecoverable)).toBe(1);
        expect(calls.get(failing)).toBe(3);
      },
      timeoutMs * 2,
    );

    it(
      'gives every group every event, and a group resumes after its committed offset',
      async () => {
        const prefix = `${run}-groups-`;
        const a: number[] = [];
        const b: number[] = [];
        const handler = (into: number[]) => async (e: IncomingEvent) => {
          if (mine(e, prefix) && e.type === 'dev.flywheel.feedback.v1') into.push(e.data.revision);
        };
        const subA = await t.bus.subscribe({
          group: group('ga'),
          topics: [Topics.feedback],
          handler: handler(a),
        });
        subs.push(
          await t.bus.subscribe({ group: group('gb'), topics: [Topics.feedback], handler: handler(b) }),
        );
        for (let n = 1; n <= 3; n++)
          await t.bus.publish({
            type: 'dev.flywheel.feedback.v1',
            key: `${prefix}k`,
            data: sampleFeedback('k', n),
          });
        await expectEventually(
          () => {
            expect(a).toEqual([1, 2, 3]);
            expect(b).toEqual([1, 2, 3]);
          },
          { timeoutMs },
        );
        await subA.stop();
        for (let n = 4; n <= 5; n++)
          await t.bus.publish({
            type: 'dev.flywheel.feedback.v1',
            key: `${prefix}k`,
            data: sampleFeedback('k', n),
          });
        subs.push(
          await t.bus.subscribe({ group: group('ga'), topics: [Topics.feedback], handler: handler(a) }),
        );
        await expectEventually(
          () => {
            expect(a).toEqual([1, 2, 3, 4, 5]);
            expect(b).toEqual([1, 2, 3, 4, 5]);
          },
          { timeoutMs },
        );
      },
      timeoutMs * 3,
    );
  });
}
