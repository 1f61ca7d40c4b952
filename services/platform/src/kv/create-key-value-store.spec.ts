import { ManualClock } from '../clock';
import { createKeyValueStore } from './create-key-value-store';

describe('createKeyValueStore without a Redis URL', () => {
  it.each([{}, { url: '' }, { url: '  ' }])('returns the in-memory store for %p', async (env) => {
    const store = await createKeyValueStore(env);
    expect(store.kind).toBe('memory');
    await store.close();
  });

  it('drives TTLs from the injected clock', async () => {
    const clock = new ManualClock(0);
    const store = await createKeyValueStore({ clock });
    await store.set('k', 'v', { ttlMs: 100 });
    clock.advance(100);
    expect(await store.get('k')).toBeNull();
    await store.close();
  });
});
