import {
  DomainError,
  type KeyValueStore,
  KeyValueUnavailableError,
  ManualClock,
  MemoryKeyValueStore,
} from '@flywheel/platform';
import { idempotencyKey, idempotencyScope, requestFingerprint } from './idempotency-key';
import { IdempotencyService, type StoredAnswer } from './idempotency.service';

/** Idempotency-Key semantics on the in-memory store (the Redis adapter passes the same contract). */

const T0 = Date.parse('2026-03-01T12:00:00Z');
const TTL_MS = 60_000;

function setup() {
  const clock = new ManualClock(T0);
  const kv = new MemoryKeyValueStore(clock);
  const service = new IdempotencyService(kv, { ttlMs: TTL_MS, claimTtlMs: 10_000 });
  let calls = 0;
  const answer = (status = 200): (() => Promise<StoredAnswer>) => {
    return async () => {
      calls++;
      return { status, headers: { 'x-flywheel-interaction-id': `i-${calls}` }, body: { n: calls } };
    };
  };
  return { clock, kv, service, answer, calls: () => calls };
}

const req = (fingerprint = 'fp-1', key = 'k-1', scope = 'scope-a') => ({ scope, key, fingerprint });

describe('IdempotencyService', () => {
  it('runs once and replays the stored answer for the same key and fingerprint', async () => {
    const { service, answer, calls } = setup();
    const first = await service.run(req(), answer());
    expect(first).toEqual({
      answer: { status: 200, headers: { 'x-flywheel-interaction-id': 'i-1' }, body: { n: 1 } },
      replayed: false,
    });
    for (let i = 0; i < 2; i++) {
      expect(await service.run(req(), answer())).toEqual({ answer: first.answer, replayed: true });
    }
    expect(calls()).toBe(1);
  });

  it('refuses the same key with another fingerprint (422 idempotency_key_reused), running nothing', async () => {
    const { service, answer, calls } = setup();
    await service.run(req('fp-1'), answer());
    const err = await service.run(req('fp-2'), answer()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'idempotency_key_reused' });
    expect(calls()).toBe(1);
  });

  it('refuses a duplicate while the first still runs (409 with Retry-After), then replays', async () => {
    const { service, calls } = setup();
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    let n = 0;
    const slow = async (): Promise<StoredAnswer> => {
      n++;
      await gate;
      return { status: 200, headers: {}, body: 'done' };
    };
    const first = service.run(req(), slow);
    await new Promise((resolve) => setImmediate(resolve));
    const dup = await service.run(req(), slow).catch((e: unknown) => e);
    expect(dup).toMatchObject({ code: 'idempotency_in_progress', headers: { 'retry-after': '1' } });
    finish();
    await first;
    expect(await service.run(req(), slow)).toMatchObject({ replayed: true, answer: { body: 'done' } });
    expect(n).toBe(1);
    expect(calls()).toBe(0);
  });

  it('keeps keys of different scopes apart', async () => {
    const { service, answer, calls } = setup();
    await service.run(req('fp-1', 'k', 'scope-a'), answer());
    expect(await service.run(req('fp-other', 'k', 'scope-b'), answer())).toMatchObject({ replayed: false });
    expect(calls()).toBe(2);
  });

  it('releases the key when the request fails, so a retry runs again', async () => {
    const { service, answer, calls } = setup();
    await expect(
      service.run(req(), () => Promise.reject(new DomainError('upstream_unavailable', 'down'))),
    ).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(await service.run(req(), answer())).toMatchObject({ replayed: false });
    expect(calls()).toBe(1);
  });

  it('forgets an answer after its TTL', async () => {
    const { service, answer, calls, clock } = setup();
    await service.run(req(), answer());
    clock.advance(TTL_MS);
    expect(await service.run(req('fp-new'), answer())).toMatchObject({
      replayed: false,
      answer: { body: { n: 2 } },
    });
    expect(calls()).toBe(2);
  });

  it('answers 503 unavailable when the store cannot be reached', async () => {
    const down: KeyValueStore = {
      kind: 'redis',
      get: () => Promise.reject(new KeyValueUnavailableError('down')),
      set: () => Promise.reject(new KeyValueUnavailableError('down')),
      del: () => Promise.reject(new KeyValueUnavailableError('down')),
      incr: () => Promise.reject(new KeyValueUnavailableError('down')),
      acquireLease: () => Promise.reject(new KeyValueUnavailableError('down')),
      releaseLease: () => Promise.reject(new KeyValueUnavailableError('down')),
      ping: () => Promise.reject(new KeyValueUnavailableError('down')),
      close: () => Promise.resolve(),
    };
    const service = new IdempotencyService(down, { ttlMs: TTL_MS });
    await expect(service.run(req(), () => Promise.reject(new Error('must not run')))).rejects.toMatchObject({
      code: 'unavailable',
      headers: { 'retry-after': '1' },
    });
  });
});

describe('idempotencyKey', () => {
  const h = (value: string | string[] | undefined) => ({ 'idempotency-key': value });

  it('reads a bare or quoted key', () => {
    expect(idempotencyKey({})).toBeUndefined();
    expect(idempotencyKey(h('abc-123'))).toBe('abc-123');
    expect(idempotencyKey(h('"8e03978e-40d5-43e8-bc93-6894a57f9324"'))).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    );
  });

  it.each([
    ['', 'must not be empty'],
    ['""', 'must not be empty'],
    ['x'.repeat(256), 'at most 255 characters'],
    ['caf\u00e9', 'printable ASCII characters only'],
  ])('refuses %j with the header path', (value, message) => {
    let err: unknown;
    try {
      idempotencyKey(h(value));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'invalid_request',
      details: { issues: [{ path: 'headers.idempotency-key', message }] },
    });
  });
});

describe('requestFingerprint', () => {
  it('ignores key order but not values or the endpoint', () => {
    const a = requestFingerprint('POST /x', { a: 1, b: [1, { c: 'd', e: null }] });
    expect(requestFingerprint('POST /x', { b: [1, { e: null, c: 'd' }], a: 1 })).toBe(a);
    expect(requestFingerprint('POST /x', { a: 1, b: [1, { c: 'D', e: null }] })).not.toBe(a);
    expect(requestFingerprint('POST /x', { a: 1, b: [{ c: 'd', e: null }, 1] })).not.toBe(a);
    expect(requestFingerprint('POST /y', { a: 1, b: [1, { c: 'd', e: null }] })).not.toBe(a);
    expect(requestFingerprint('POST /x', { a: '1', b: [1, { c: 'd', e: null }] })).not.toBe(a);
  });

  it('digests a body nested 10,000 levels deep', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect(requestFingerprint('POST /x', deep)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('scopes by a digest of the API key, never the key itself', () => {
    const scope = idempotencyScope('sk-secret-key');
    expect(scope).not.toContain('sk-secret');
    expect(scope).toHaveLength(32);
    expect(idempotencyScope('sk-other')).not.toBe(scope);
  });
});
