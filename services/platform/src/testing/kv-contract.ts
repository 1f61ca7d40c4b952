import { randomUUID } from 'node:crypto';
import { type KeyValueStore, KeyValueUnavailableError } from '../kv';
import { expectEventually } from './expect-eventually';

export interface KeyValueContractTarget {
  store: KeyValueStore;
  /** Moves the store's clock forward. Omit for a real backend: expiry is then awaited in
   * real time with short TTLs. */
  advance?(ms: number): Promise<void>;
}

/** Short enough to keep real-time expiry tests fast, long enough that a write followed by a
 * read on a loaded machine still lands inside it. */
const TTL_MS = 400;

/**
 * The behaviour every KeyValueStore adapter must share. Call inside a Jest test file; the
 * factory runs before each test and the store is closed after it. Every test works under
 * its own random key prefix, so runs against a shared Redis never collide.
 */
export function describeKeyValueContract(name: string, factory: () => Promise<KeyValueContractTarget>): void {
  describe(`KeyValueStore contract: ${name}`, () => {
    let target: KeyValueContractTarget;
    let store: KeyValueStore;
    let prefix: string;
    const used = new Set<string>();
    const key = (suffix: string): string => {
      used.add(`${prefix}${suffix}`);
      return `${prefix}${suffix}`;
    };

    beforeEach(async () => {
      target = await factory();
      store = target.store;
      prefix = `flywheel-test:kv-contract:${randomUUID()}:`;
    });

    afterEach(async () => {
      // leave nothing behind in a shared backend (the close test has closed the store already)
      await Promise.all([...used].map((k) => store.del(k).catch(() => undefined)));
      used.clear();
      await store.close();
    });

    /** Lets TTL_MS pass (clock or real time) and then requires `assertion` to hold. */
    async function afterTtl(assertion: () => Promise<void>): Promise<void> {
      if (target.advance) {
        await target.advance(TTL_MS);
        await assertion();
      } else {
        await expectEventually(assertion, { timeoutMs: TTL_MS + 5_000, intervalMs: 20 });
      }
    }

    it('returns null for a missing key and the stored value for a present one', async () => {
      expect(await store.get(key('missing'))).toBeNull();
      expect(await store.set(key('a'), 'héllo ✓')).toBe(true);
      expect(await store.get(key('a'))).toBe('héllo ✓');
    });

    it('stores the empty string as a value, distinct from a missing key', async () => {
      await store.set(key('empty'), '');
      expect(await store.get(key('empty'))).toBe('');
    });

    it('overwrites on a plain set', async () => {
      await store.set(key('a'), 'one');
      expect(await store.set(key('a'), 'two')).toBe(true);
      expect(await store.get(key('a'))).toBe('two');
    });

    it('keeps keys apart, including keys that prefix each other', async () => {
      await store.set(key('a'), '1');
      await store.set(key('a:b'), '2');
      await store.del(key('a'));
      expect(await store.get(key('a'))).toBeNull();
      expect(await store.get(key('a:b'))).toBe('2');
    });

    it('deletes a key, and deleting a missing key is not an error', async () => {
      await store.set(key('a'), 'x');
      await store.del(key('a'));
      expect(await store.get(key('a'))).toBeNull();
      await expect(store.del(key('never-set'))).resolves.toBeUndefined();
    });

    it('with ifAbsent writes only when the key is missing', async () => {
      expect(await store.set(key('lock'), 'first', { ifAbsent: true })).toBe(true);
      expect(await store.set(key('lock'), 'second', { ifAbsent: true })).toBe(false);
      expect(await store.get(key('lock'))).toBe('first');
      await store.del(key('lock'));
      expect(await store.set(key('lock'), 'third', { ifAbsent: true })).toBe(true);
      expect(await store.get(key('lock'))).toBe('third');
    });

    it('lets exactly one of many concurrent ifAbsent writers win', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.set(key('race'), `writer-${i}`, { ifAbsent: true })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store.get(key('race'))).toBe(`writer-${winner}`);
    });

    it('expires a key after its ttl', async () => {
      await store.set(key('t'), 'v', { ttlMs: TTL_MS });
      if (target.advance) await target.advance(TTL_MS - 1);
      expect(await store.get(key('t'))).toBe('v');
      await afterTtl(async () => expect(await store.get(key('t'))).toBeNull());
    });

    it('frees an ifAbsent key with a ttl once it expires', async () => {
      expect(await store.set(key('idem'), 'a', { ifAbsent: true, ttlMs: TTL_MS })).toBe(true);
      expect(await store.set(key('idem'), 'b', { ifAbsent: true, ttlMs: TTL_MS })).toBe(false);
      await afterTtl(async () => expect(await store.set(key('idem'), 'c', { ifAbsent: true })).toBe(true));
      expect(await store.get(key('idem'))).toBe('c');
    });

    it('drops an earlier ttl when a key is set again without one', async () => {
      await store.set(key('kept'), 'v1', { ttlMs: TTL_MS });
      await store.set(key('witness'), 'w', { ttlMs: TTL_MS });
      await store.set(key('kept'), 'v2');
      // the witness, written after `kept` got its ttl, expiring proves that ttl has passed
      await afterTtl(async () => expect(await store.get(key('witness'))).toBeNull());
      expect(await store.get(key('kept'))).toBe('v2');
    });

    it('increments from zero and counts up', async () => {
      expect(await store.incr(key('n'))).toBe(1);
      expect(await store.incr(key('n'))).toBe(2);
      expect(await store.get(key('n'))).toBe('2');
    });

    it('increments a value written with set', async () => {
      await store.set(key('n'), '41');
      expect(await store.incr(key('n'))).toBe(42);
    });

    it('rejects incrementing a value that is not an integer', async () => {
      await store.set(key('word'), 'abc');
      await expect(store.incr(key('word'))).rejects.toThrow(/not an integer/);
      expect(await store.get(key('word'))).toBe('abc');
    });

    it('applies an incr ttl only when the key is created (fixed window)', async () => {
      expect(await store.incr(key('window'), { ttlMs: TTL_MS })).toBe(1);
      // a later, much longer ttl must not extend the window
      expect(await store.incr(key('window'), { ttlMs: 60_000 })).toBe(2);
      await afterTtl(async () => expect(await store.get(key('window'))).toBeNull());
      expect(await store.incr(key('window'), { ttlMs: TTL_MS })).toBe(1);
    });

    it('gives 100 parallel incr calls 100 distinct results', async () => {
      const results = await Promise.all(Array.from({ length: 100 }, () => store.incr(key('hits'))));
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(await store.get(key('hits'))).toBe('100');
    });

    it('gives 100 parallel incr calls with a ttl 100 distinct results', async () => {
      const results = await Promise.all(
        Array.from({ length: 100 }, () => store.incr(key('hits'), { ttlMs: 60_000 })),
      );
      expect(new Set(results).size).toBe(100);
      expect(Math.max(...results)).toBe(100);
    });

    it('increments by any safe integer, negative included, keeping the window', async () => {
      expect(await store.incr(key('tokens'), { by: 400, ttlMs: TTL_MS })).toBe(400);
      expect(await store.incr(key('tokens'), { by: -150, ttlMs: 60_000 })).toBe(250);
      expect(await store.incr(key('tokens'), { by: 0 })).toBe(250);
      await expect(store.incr(key('tokens'), { by: 1.5 })).rejects.toThrow(RangeError);
      await afterTtl(async () => expect(await store.get(key('tokens'))).toBeNull());
    });

    it('admits exactly `limit` of many concurrent lease holders, and a release frees a slot', async () => {
      const lease = { limit: 7, ttlMs: 60_000 };
      const taken = await Promise.all(
        Array.from({ length: 60 }, (_, i) => store.acquireLease(key('sem'), `h${i}`, lease)),
      );
      expect(taken.filter(Boolean)).toHaveLength(7);
      const holder = `h${taken.indexOf(true)}`;
      expect(await store.acquireLease(key('sem'), holder, lease)).toBe(true); // a renewal, not a new slot
      expect(await store.acquireLease(key('sem'), 'late', lease)).toBe(false);
      await store.releaseLease(key('sem'), holder);
      await store.releaseLease(key('sem'), 'never-held');
      expect(await store.acquireLease(key('sem'), 'late', lease)).toBe(true);
      expect(await store.acquireLease(key('sem'), 'later', lease)).toBe(false);
    });

    it('frees the slot of a lease that expired (a crashed holder)', async () => {
      expect(await store.acquireLease(key('sem'), 'crashed', { limit: 1, ttlMs: TTL_MS })).toBe(true);
      expect(await store.acquireLease(key('sem'), 'next', { limit: 1, ttlMs: TTL_MS })).toBe(false);
      await afterTtl(async () =>
        expect(await store.acquireLease(key('sem'), 'next', { limit: 1, ttlMs: 60_000 })).toBe(true),
      );
    });

    it.each([
      [0, 1000],
      [1.5, 1000],
      [2, 0],
    ])('rejects a lease with limit %p and ttlMs %p', async (limit, ttlMs) => {
      await expect(store.acquireLease(key('sem'), 'h', { limit, ttlMs })).rejects.toThrow(RangeError);
    });

    it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('rejects ttlMs %p', async (ttlMs) => {
      await expect(store.set(key('bad'), 'v', { ttlMs })).rejects.toThrow(RangeError);
      await expect(store.incr(key('bad'), { ttlMs })).rejects.toThrow(RangeError);
      expect(await store.get(key('bad'))).toBeNull();
    });

    it('answers ping while open and fails every call once closed', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
      await store.close(); // idempotent
      await expect(store.ping()).rejects.toBeInstanceOf(KeyValueUnavailableError);
      await expect(store.get(key('a'))).rejects.toBeInstanceOf(KeyValueUnavailableError);
      await expect(store.incr(key('a'), { ttlMs: 1000 })).rejects.toBeInstanceOf(KeyValueUnavailableError);
      await expect(store.acquireLease(key('s'), 'h', { limit: 1, ttlMs: 1000 })).rejects.toBeInstanceOf(
        KeyValueUnavailableError,
      );
    });
  });
}
