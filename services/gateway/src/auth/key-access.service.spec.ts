import { ApiKeyConfig, KeyValueUnavailableError, ManualClock, MemoryKeyValueStore } from '@flywheel/platform';
import { Registry } from 'prom-client';
import { type ApiKey, gatewayKeys } from './api-keys';
import { KeyAccess, LEASE_TTL_MS } from './key-access.service';
import { KeyMetrics } from './key.metrics';

const SECRET = 'k-secret-0123456789';
const keyOf = (limits: object): ApiKey =>
  gatewayKeys({
    apiKeys: [],
    adminToken: undefined,
    scoped: { k: ApiKeyConfig.parse({ key_env: 'K', routes: '*', limits }) },
    env: { K: SECRET },
  }).secrets.match(SECRET)!;

const ask = (maxTokens?: number) => ({ route: 'r', model: null, maxTokens });
const usage = (input: number, output: number) => ({
  input_tokens: input,
  output_tokens: output,
  total_tokens: input + output,
});

function setup(start = 10 * 60_000 + 15_000) {
  const clock = new ManualClock(start);
  const kv = new MemoryKeyValueStore(clock);
  const registry = new Registry();
  const access = new KeyAccess(kv, clock, new KeyMetrics(registry), 4096);
  return { clock, kv, registry, access };
}

const refusalOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (err: { code: string; details?: { limit?: string }; headers?: Record<string, string> }) => err,
  );

describe('KeyAccess', () => {
  it('counts requests in one-minute windows, says how long is left, and starts afresh next minute', async () => {
    const { clock, access } = setup();
    const key = keyOf({ requests_per_min: 3 });
    for (let i = 0; i < 3; i++) await (await access.admit(key, ask())).settle();
    const refused = await refusalOf(access.admit(key, ask()));
    expect(refused).toMatchObject({ code: 'rate_limited', details: { limit: 'requests_per_min' } });
    expect(refused?.headers).toEqual({ 'retry-after': '45' });
    // refusals are not charged: still refused, still 45 s, until the window turns
    expect((await refusalOf(access.admit(key, ask())))?.code).toBe('rate_limited');
    clock.advance(45_000);
    expect(await refusalOf(access.admit(key, ask()))).toBeNull();
  });

  it('reserves max_tokens, then charges the actual usage; a request that never ran costs nothing', async () => {
    const { access, registry } = setup();
    const key = keyOf({ tokens_per_min: 1000, max_tokens: 600 });
    const first = await access.admit(key, ask(600));
    // 600 of 1000 reserved: another 600 does not fit while the first runs
    expect((await refusalOf(access.admit(key, ask(600))))?.details).toEqual({ limit: 'tokens_per_min' });
    first.used(usage(40, 60));
    await first.settle();
    await first.settle(); // idempotent
    const second = await access.admit(key, ask(600)); // 100 used + 600 reserved
    await second.settle(); // failed before any upstream call: refunded in full
    const third = await access.admit(key, ask()); // no max_tokens: reserves the key's cap
    third.used(usage(500, 300));
    await third.settle(); // 100 + 800 = 900 used
    expect((await refusalOf(access.admit(key, ask(101))))?.code).toBe('rate_limited');
    expect(await refusalOf(access.admit(key, ask(100)))).toBeNull();
    const metrics = await registry.metrics();
    expect(metrics).toContain('flywheel_gateway_key_tokens_total{key="k",kind="input"} 540');
    expect(metrics).toContain('flywheel_gateway_key_tokens_total{key="k",kind="output"} 360');
    expect(metrics).toContain('flywheel_gateway_key_refusals_total{key="k",reason="tokens_per_min"} 2');
    expect(metrics).not.toContain(SECRET);
  });

  it('holds a concurrency slot until settled, and a crashed holder frees it after the lease TTL', async () => {
    const { clock, access } = setup();
    const key = keyOf({ concurrent: 2 });
    const a = await access.admit(key, ask());
    await access.admit(key, ask()); // never settled: its gateway crashed
    expect(await refusalOf(access.admit(key, ask()))).toMatchObject({
      details: { limit: 'concurrent' },
      headers: { 'retry-after': '1' },
    });
    await a.settle();
    const c = await access.admit(key, ask());
    expect((await refusalOf(access.admit(key, ask())))?.code).toBe('rate_limited');
    await c.settle();
    clock.advance(LEASE_TTL_MS);
    await access.admit(key, ask());
    expect(await refusalOf(access.admit(key, ask()))).toBeNull();
  });

  it('undoes the request count when a later limit refuses', async () => {
    const { access } = setup();
    const key = keyOf({ requests_per_min: 2, concurrent: 1 });
    const held = await access.admit(key, ask());
    for (let i = 0; i < 5; i++)
      expect((await refusalOf(access.admit(key, ask())))?.details).toEqual({ limit: 'concurrent' });
    await held.settle();
    expect(await refusalOf(access.admit(key, ask()))).toBeNull(); // the 2nd request of the minute
  });

  it('answers 503 with Retry-After when the store is down, and never touches it for a key without limits', async () => {
    const { kv, access } = setup();
    await kv.close();
    expect(await refusalOf(access.admit(keyOf({ requests_per_min: 5 }), ask()))).toMatchObject({
      code: 'unavailable',
      headers: { 'retry-after': '1' },
    });
    await expect(kv.get('x')).rejects.toBeInstanceOf(KeyValueUnavailableError);
    const ticket = await access.admit(keyOf({ max_tokens: 10 }), ask(10));
    await ticket.settle();
  });
});
