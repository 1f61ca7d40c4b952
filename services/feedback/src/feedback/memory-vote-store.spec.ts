import { createHash } from 'node:crypto';
import { ManualClock } from '@flywheel/platform';
import { retainedHeapPer } from '@flywheel/platform/testing';
import { MemoryVoteStore } from './memory-vote-store';
import { describeVoteStoreContract } from './vote-store.contract';

describeVoteStoreContract('memory', async () => {
  const clock = new ManualClock(Date.now());
  const store = new MemoryVoteStore(clock);
  return { stores: [store, store], advance: (ms) => clock.advance(ms), close: async () => undefined };
});

describe('MemoryVoteStore bound', () => {
  const claim = (n: number, nowMs: number, fingerprint = 'f') => ({
    interactionId: `i-${n}`,
    subject: 's'.repeat(64),
    feedbackId: `fb-${n}`,
    fingerprint,
    createdAt: new Date(nowMs).toISOString(),
    nowMs,
    leaseMs: 5_000,
    ttlMs: 3_600_000,
  });

  it('keeps at most maxEntries votes, forgetting the least recently used first', async () => {
    const clock = new ManualClock(Date.now());
    const store = new MemoryVoteStore(clock, 1_000);
    for (let n = 0; n < 50_000; n++) {
      await store.claim(claim(n, clock.now()));
      // vote 0 is used again and again: it must survive
      if (n % 100 === 0) await store.claim(claim(0, clock.now()));
    }
    expect(store.size).toBe(1_000);
    expect(store.evicted).toBe(49_000);
    expect((await store.claim(claim(0, clock.now()))).record.feedbackId).toBe('fb-0');
    // vote 1 was evicted long ago: a new vote there is a first vote again
    const again = await store.claim({ ...claim(1, clock.now()), feedbackId: 'fb-1-again' });
    expect(again.record).toMatchObject({ feedbackId: 'fb-1-again', revision: 1 });
  });

  it('forgets expired votes even when nothing reads them again', async () => {
    const clock = new ManualClock(Date.now());
    const store = new MemoryVoteStore(clock, 1_000_000);
    for (let n = 0; n < 10_000; n++) await store.claim(claim(n, clock.now()));
    clock.advance(3_600_001);
    await store.claim(claim(-1, clock.now()));
    expect(store.size).toBe(1);
    expect(store.evicted).toBe(0);
  });

  it('holds a vote in about 400 bytes of heap, its template-built ids flattened', async () => {
    const clock = new ManualClock(Date.now());
    const n = 20_000;
    const hex = (i: number) => createHash('sha256').update(String(i)).digest('hex');
    const perVote = await retainedHeapPer(n, async () => {
      const store = new MemoryVoteStore(clock);
      for (let i = 0; i < n; i++) {
        const h = hex(i);
        // built like FeedbackTokens.feedbackId and the service's claim: concatenated pieces
        await store.claim({
          ...claim(i, clock.now()),
          interactionId: `soak-${h.slice(0, 8)}-${i}`,
          subject: hex(-i),
          feedbackId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`,
          fingerprint: hex(i + n),
        });
      }
      return store;
    });
    // ~900 bytes when the store kept the strings as built
    expect(perVote).toBeLessThan(600);
  });
});
