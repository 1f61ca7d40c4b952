import { randomUUID } from 'node:crypto';
import { expectEventually } from '@flywheel/platform/testing';
import type { VoteClaim, VoteStore } from './vote-store';

export interface VoteStoreTarget {
  /** two stores on one backend (two feedback instances); the memory adapter passes itself twice */
  stores: [VoteStore, VoteStore];
  /** moves the store's clock (memory); omit for Redis, whose TTLs are awaited in real time */
  advance?(ms: number): void;
  close(): Promise<void>;
}

/** The behaviour both VoteStore adapters share. Every test uses fresh random keys. */
export function describeVoteStoreContract(name: string, factory: () => Promise<VoteStoreTarget>): void {
  describe(`VoteStore contract: ${name}`, () => {
    let t: VoteStoreTarget;
    let a: VoteStore;
    let b: VoteStore;
    const t0 = Date.now();
    beforeEach(async () => {
      t = await factory();
      [a, b] = t.stores;
    });
    afterEach(() => t.close());

    const claim = (over: Partial<VoteClaim> = {}): VoteClaim => ({
      interactionId: over.interactionId ?? `int-${randomUUID()}`,
      subject: 'a'.repeat(64),
      fingerprint: 'fp-1',
      feedbackId: 'fb-1',
      createdAt: '2026-01-01T00:00:00.000Z',
      nowMs: t0,
      leaseMs: 5_000,
      ttlMs: 60_000,
      ...over,
    });

    it('gives the first vote revision 1 with its feedback id', async () => {
      const c = claim();
      expect(await a.claim(c)).toEqual({
        status: 'publish',
        record: { feedbackId: 'fb-1', revision: 1, fingerprint: 'fp-1', createdAt: c.createdAt },
      });
    });

    it('answers an identical vote in_flight until published, then recorded (on any instance)', async () => {
      const c = claim();
      await a.claim(c);
      expect((await b.claim({ ...c, nowMs: t0 + 10 })).status).toBe('in_flight');
      await a.markPublished(c, 1, 'fp-1');
      const again = await b.claim({ ...c, nowMs: t0 + 20, createdAt: 'later' });
      expect(again).toEqual({
        status: 'recorded',
        record: expect.objectContaining({ revision: 1, createdAt: c.createdAt }),
      });
    });

    it('makes a changed vote the next revision, keeping the feedback id of the first', async () => {
      const c = claim();
      await a.claim(c);
      await a.markPublished(c, 1, 'fp-1');
      const changed = await b.claim({ ...c, fingerprint: 'fp-2', feedbackId: 'other', createdAt: 'second' });
      expect(changed).toEqual({
        status: 'publish',
        record: { feedbackId: 'fb-1', revision: 2, fingerprint: 'fp-2', createdAt: 'second' },
      });
      // changing back to the first content is a change too
      expect((await a.claim({ ...c, createdAt: 'third' })).record.revision).toBe(3);
    });

    it('ignores markPublished for a revision that a newer one replaced', async () => {
      const c = claim();
      await a.claim(c);
      await a.claim({ ...c, fingerprint: 'fp-2' });
      await a.markPublished(c, 1, 'fp-1');
      expect((await b.claim({ ...c, fingerprint: 'fp-2' })).status).toBe('in_flight');
    });

    it('lets an identical vote take over a revision whose lease ran out, with its first created_at', async () => {
      const c = claim();
      await a.claim(c);
      const takeover = await b.claim({ ...c, nowMs: t0 + 5_000, createdAt: 'later' });
      expect(takeover).toEqual({
        status: 'publish',
        record: { feedbackId: 'fb-1', revision: 1, fingerprint: 'fp-1', createdAt: c.createdAt },
      });
      // the takeover renewed the lease
      expect((await a.claim({ ...c, nowMs: t0 + 5_001 })).status).toBe('in_flight');
    });

    it('keeps subjects and interactions apart', async () => {
      const c = claim();
      await a.claim(c);
      expect((await a.claim({ ...c, subject: 'b'.repeat(64), fingerprint: 'x' })).record.revision).toBe(1);
      expect(
        (await a.claim({ ...c, interactionId: `${c.interactionId}-2`, fingerprint: 'x' })).record.revision,
      ).toBe(1);
    });

    it('hands out each revision exactly once under concurrent changed votes on two instances', async () => {
      const c = claim();
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim({ ...c, fingerprint: `fp-${i}` })),
      );
      expect(outcomes.every((o) => o.status === 'publish' && o.record.feedbackId === 'fb-1')).toBe(true);
      expect(outcomes.map((o) => o.record.revision).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
    });

    it('lets exactly one of many concurrent identical votes publish', async () => {
      const c = claim();
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim(c)));
      expect(outcomes.filter((o) => o.status === 'publish')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'in_flight')).toHaveLength(19);
    });

    it('forgets a vote after its ttl', async () => {
      const c = claim({ ttlMs: 300 });
      await a.claim(c);
      await a.markPublished(c, 1, 'fp-1');
      // an identical, published vote is answered without a write, so polling does not extend the ttl
      const fresh = async () =>
        expect(await a.claim({ ...c, createdAt: 'after' })).toEqual({
          status: 'publish',
          record: expect.objectContaining({ revision: 1, createdAt: 'after' }),
        });
      if (t.advance) {
        t.advance(300);
        await fresh();
      } else {
        await expectEventually(fresh, { timeoutMs: 5_000, intervalMs: 50 });
      }
    });
  });
}
