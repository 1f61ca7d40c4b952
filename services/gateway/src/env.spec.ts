import { ConfigError } from '@flywheel/platform';
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
    });
    expect(
      parseGatewayEnv({
        FLYWHEEL_FEEDBACK_SECRET: SECRET,
        FLYWHEEL_ADMIN_TOKEN: 't',
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

  it('refuses to start with no API key and no admin token', () => {
    expect(() => parseGatewayEnv({ FLYWHEEL_FEEDBACK_SECRET: SECRET })).toThrow(/FLYWHEEL_API_KEYS/);
    expect(parseGatewayEnv({ FLYWHEEL_FEEDBACK_SECRET: SECRET, FLYWHEEL_ADMIN_TOKEN: 't' }).apiKeys).toEqual(
      [],
    );
  });

  it('names a bad port or body limit', () => {
    const base = { FLYWHEEL_FEEDBACK_SECRET: SECRET, FLYWHEEL_API_KEYS: 'k' };
    expect(() => parseGatewayEnv({ ...base, GATEWAY_PORT: 'http' })).toThrow(/GATEWAY_PORT/);
    expect(() => parseGatewayEnv({ ...base, GATEWAY_BODY_LIMIT_BYTES: '10' })).toThrow(
      /GATEWAY_BODY_LIMIT_BYTES/,
    );
  });
});
