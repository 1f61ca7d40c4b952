import { Registry } from 'prom-client';
import { ManualClock } from '../clock';
import { KeyValueUnavailableError } from './key-value-store';
import { MemoryKeyValueStore } from './memory-key-value-store';

describe('MemoryKeyValueStore', () => {
  let clock: ManualClock;
  let store: MemoryKeyValueStore;

  beforeEach(() => {
    clock = new ManualClock(1_000_000);
    store = new MemoryKeyValueStore(clock);
  });

  it('keeps a key for exactly ttlMs of the injected clock', async () => {
    await store.set('k', 'v', { ttlMs: 1000 });
    clock.advance(999);
    expect(await store.get('k')).toBe('v');
    clock.advance(1);
    expect(await store.get('k')).toBeNull();
  });

  it('drops expired keys that are never read again, and keeps the others', async () => {
    for (let i = 0; i < 500; i++) await store.set(`idem:${i}`, 'x', { ttlMs: 1000 });
    await store.set('forever', 'x');
    await store.incr('window', { ttlMs: 120_000 });
    expect(store.size).toBe(502);

    clock.advance(60_000);
    await store.set('trigger', 'x');
    expect(store.size).toBe(3);
    expect(await store.get('forever')).toBe('x');
    expect(await store.get('window')).toBe('1');
  });

  it('keeps at most maxEntries keys without a TTL, forgetting the least recently used', async () => {
    const registry = new Registry();
    const bounded = new MemoryKeyValueStore(clock, { maxEntries: 100_000, registry });
    await bounded.set('hot', 'kept');
    await bounded.incr('hot-counter');
    for (let i = 0; i < 250_000; i++) {
      await bounded.set(`idem:${i}`, `{"id":"chatcmpl-${i}","status":200}`);
      // read (or counted) now and then: recently used, so never the one forgotten
      if (i % 10_000 === 0) {
        expect(await bounded.get('hot')).toBe('kept');
        await bounded.incr('hot-counter');
      }
    }
    expect(bounded.size).toBe(100_000);
    expect(bounded.evicted).toBe(150_002);
    expect(await bounded.get('hot')).toBe('kept');
    expect(await bounded.get('hot-counter')).toBe('26');
    expect(await bounded.get('idem:0')).toBeNull();
    expect(await bounded.get('idem:150001')).toBeNull();
    expect(await bounded.get('idem:150002')).not.toBeNull();
    expect(await bounded.get('idem:249999')).toBe('{"id":"chatcmpl-249999","status":200}');
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/^flywheel_kv_memory_evicted_total 150002$/m);
    expect(metrics).toMatch(/^flywheel_kv_memory_entries 100000$/m);
  });

  it('keeps at most maxBytes of keys and values: 1 MiB stored answers push out the oldest', async () => {
    const maxBytes = 16 * 1024 * 1024;
    const bounded = new MemoryKeyValueStore(clock, { maxBytes });
    const answer = (i: number) => `${i}:`.padEnd(1024 * 1024, 'x');
    for (let i = 0; i < 40; i++) await bounded.set(`idem:${i}`, answer(i), { ttlMs: 24 * 3600_000 });
    // 2 bytes per character counted: 2 MiB each, so 7 fit under 16 MiB with their overhead
    expect(bounded.bytes).toBeLessThanOrEqual(maxBytes);
    expect(bounded.size).toBe(7);
    expect(bounded.evicted).toBe(33);
    expect(await bounded.get('idem:32')).toBeNull();
    for (let i = 33; i < 40; i++) expect(await bounded.get(`idem:${i}`)).toBe(answer(i));
    // overwriting and deleting give the bytes back
    await bounded.set('idem:39', 'small');
    await bounded.del('idem:38');
    expect(bounded.bytes).toBeLessThan(5 * 2.1 * 1024 * 1024);
    expect(bounded.evicted).toBe(33);
  });

  it('never evicts the entry just written, even one larger than maxBytes alone', async () => {
    const bounded = new MemoryKeyValueStore(clock, { maxBytes: 64 * 1024 });
    await bounded.set('small', 'x');
    await bounded.set('big', 'y'.repeat(100_000));
    expect(await bounded.get('big')).toHaveLength(100_000);
    expect(await bounded.get('small')).toBeNull();
    await bounded.set('next', 'z');
    expect(await bounded.get('big')).toBeNull();
    expect(await bounded.get('next')).toBe('z');
  });

  it('refuses to count past the largest safe integer rather than lose precision', async () => {
    await store.set('n', String(Number.MAX_SAFE_INTEGER));
    await expect(store.incr('n')).rejects.toThrow(/not an integer or out of range/);
    expect(await store.get('n')).toBe(String(Number.MAX_SAFE_INTEGER));
  });

  it('forgets everything on close and refuses further calls', async () => {
    await store.set('k', 'v');
    await store.close();
    expect(store.size).toBe(0);
    await expect(store.set('k', 'v')).rejects.toBeInstanceOf(KeyValueUnavailableError);
  });
});
