import { ConfigError, DEFAULT_HTTP_LIMITS } from '@flywheel/platform';
import { parseGatewayEnv } from './env';

const SECRET = 's'.repeat(32);

describe('parseGatewayEnv', () => {
  it('reads the variables with their defaults', () => {
    expect(parseGatewayEnv({ FLYWHEEL_FEEDBACK_SECRET: SECRET, FLYWHEEL_API_KEYS: 'a, b,,c' })).toEqual({
      port: 8080,
      host: '0.0.0.0',
      apiKeys: ['a', 'b', 'c'],
      adminToken: undefined,
      secret: SECRET,
      configPath: undefined,
      flagsFile: undefined,
      flagsSyncAddress: undefined,
      kafka: undefined,
      dataDir: undefined,
      spoolDir: undefined,
      bodyLimitBytes: 1024 * 1024,
      corsOrigins: [],
      eventMaxBytes: 960 * 1024,
      eventDurableWait: true,
      redisUrl: undefined,
      memoryKv: { maxEntries: 100_000, maxBytes: 64 * 1024 * 1024 },
      idempotencyTtlS: 24 * 3600,
      maxTokensLimit: 65_536,
      limits: { ...DEFAULT_HTTP_LIMITS, maxInFlight: 1_024, connectionTimeoutMs: 600_000 },
      trustedProxies: undefined,
    });
    expect(
      parseGatewayEnv({
        FLYWHEEL_FEEDBACK_SECRET: SECRET,
        FLYWHEEL_ADMIN_TOKEN: 'admin-token-0123456789',
        GATEWAY_CORS_ORIGINS: 'http://a:1, http://b:2',
      }).corsOrigins,
    ).toEqual(['http://a:1', 'http://b:2']);
  });

  it('reads the in-memory store bounds and the bench-only durable-wait switch, naming bad values', () => {
    const env = { FLYWHEEL_FEEDBACK_SECRET: SECRET, FLYWHEEL_API_KEYS: 'k' };
    const parsed = parseGatewayEnv({
      ...env,
      FLYWHEEL_MEMORY_KV_MAX_ENTRIES: '5000',
      FLYWHEEL_MEMORY_KV_MAX_BYTES: '1048576',
      GATEWAY_EVENT_DURABLE_WAIT: 'FALSE',
    });
    expect(parsed.memoryKv).toEqual({ maxEntries: 5000, maxBytes: 1024 * 1024 });
    expect(parsed.eventDurableWait).toBe(false);
    expect(() => parseGatewayEnv({ ...env, FLYWHEEL_MEMORY_KV_MAX_ENTRIES: '0' })).toThrow(
      /FLYWHEEL_MEMORY_KV_MAX_ENTRIES/,
    );
    expect(() => parseGatewayEnv({ ...env, GATEWAY_EVENT_DURABLE_WAIT: 'no' })).toThrow(
      /GATEWAY_EVENT_DURABLE_WAIT/,
    );
  });

  it('reads the event size bound and refuses one too small to hold an event', () => {
    const env = { FLYWHEEL_FEEDBACK_SECRET: SECRET, FLYWHEEL_API_KEYS: 'k' };
    expect(parseGatewayEnv({ ...env, GATEWAY_EVENT_MAX_BYTES: '500000' }).eventMaxBytes).toBe(500_000);
    expect(() => parseGatewayEnv({ ...env, GATEWAY_EVENT_MAX_BYTES: '1000' })).toThrow(
      /GATEWAY_EVENT_MAX_BYTES/,
    );
  });

  it('requires a feedback secret of at least 32 bytes, naming the variable but not its value', () => {
    for (const secret of [undefined, 'short-secret-value']) {
      let error: unknown;
      try {
        parseGatewayEnv({ FLYWHEEL_FEEDBACK_SECRET: secret, FLYWHEEL_API_KEYS: 'k' });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/FLYWHEEL_FEEDBACK_SECRET/);
      expect((error as Error).message).not.toContain('short-secret-value');
    }
  });

  it('takes GATEWAY_ADMIN_TOKEN over FLYWHEEL_ADMIN_TOKEN, each of at least 16 characters', () => {
    const base = { FLYWHEEL_FEEDBACK_SECRET: SECRET };
    const shared = 'shared-admin-token-0123';
    expect(parseGatewayEnv({ ...base, FLYWHEEL_ADMIN_TOKEN: shared }).adminToken).toBe(shared);
    expect(
      parseGatewayEnv({
        ...base,
        FLYWHEEL_ADMIN_TOKEN: shared,
        GATEWAY_ADMIN_TOKEN: 'gateway-admin-token-0123',
      }).adminToken,
    ).toBe('gateway-admin-token-0123');
    for (const name of ['GATEWAY_ADMIN_TOKEN', 'FLYWHEEL_ADMIN_TOKEN']) {
      expect(() => parseGatewayEnv({ ...base, [name]: 'short' })).toThrow(
        new RegExp(`${name}.*16 characters`),
      );
    }
  });

  it('names a bad port or body limit', () => {
    const base = { FLYWHEEL_FEEDBACK_SECRET: SECRET, FLYWHEEL_API_KEYS: 'k' };
    expect(() => parseGatewayEnv({ ...base, GATEWAY_PORT: 'http' })).toThrow(/GATEWAY_PORT/);
    expect(() => parseGatewayEnv({ ...base, GATEWAY_BODY_LIMIT_BYTES: '10' })).toThrow(
      /GATEWAY_BODY_LIMIT_BYTES/,
    );
  });
});

describe('parseGatewayEnv: HTTP limits and trusted proxies', () => {
  const env = { FLYWHEEL_FEEDBACK_SECRET: SECRET, FLYWHEEL_API_KEYS: 'k' };

  it('reads GATEWAY_* limits, 0 turning one off, and refuses a bad value naming it', () => {
    const parsed = parseGatewayEnv({
      ...env,
      GATEWAY_MAX_IN_FLIGHT: '0',
      GATEWAY_REQUEST_TIMEOUT_MS: '5000',
      GATEWAY_MAX_EVENT_LOOP_UTILIZATION: '0.9',
    });
    expect(parsed.limits).toMatchObject({
      maxInFlight: 0,
      requestTimeoutMs: 5_000,
      maxEventLoopUtilization: 0.9,
    });
    expect(() => parseGatewayEnv({ ...env, GATEWAY_MAX_EVENT_LOOP_UTILIZATION: '2' })).toThrow(
      /GATEWAY_MAX_EVENT_LOOP_UTILIZATION/,
    );
    expect(() => parseGatewayEnv({ ...env, GATEWAY_MAX_HEADERS: 'many' })).toThrow(/GATEWAY_MAX_HEADERS/);
  });

  it('reads TRUSTED_PROXIES as a hop count or addresses and CIDRs, and names a bad entry', () => {
    expect(parseGatewayEnv({ ...env, TRUSTED_PROXIES: '2' }).trustedProxies).toBe(2);
    expect(
      parseGatewayEnv({ ...env, TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7 ,fd00::/8,loopback' })
        .trustedProxies,
    ).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'loopback']);
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/2', '99'])
      expect(() => parseGatewayEnv({ ...env, TRUSTED_PROXIES: bad })).toThrow(/TRUSTED_PROXIES/);
  });
});
