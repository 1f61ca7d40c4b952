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
