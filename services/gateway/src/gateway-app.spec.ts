import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyConfig, ConfigError, type FlywheelConfig } from '@flywheel/platform';
import { parseGatewayEnv } from './env';
import { createGatewayApp } from './gateway-app';

/** Boot: the configuration is checked before anything is opened; readiness; shutdown. */

const FIXTURES = join(__dirname, '../test/fixtures');

const config = (chain: string[]): FlywheelConfig => ({
  providers: {
    p: { kind: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key_env: 'NO_SUCH_KEY', timeout_ms: 1000 },
  },
  models: { m: { provider: 'p', model: 'm', price: { input_per_mtok: 0, output_per_mtok: 0 } } },
  routes: {
    r: {
      flag: 'static-control',
      default_variant: 'v',
      variants: { v: { chain, allow_client_system: false } },
    },
  },
  feedback: { allowed_origins: [], token_ttl_s: 60, reasons: [] },
  curator: {
    join_ttl_s: 60,
    retention_days: 1,
    redaction: { enabled: true, extra_patterns: [], max_field_chars: 262144 },
  },
  api_keys: {},
  rollouts: {},
});

describe('createGatewayApp', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-app-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const env = (flagsFile: string) =>
    parseGatewayEnv({
      GATEWAY_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      FLYWHEEL_API_KEYS: 'k',
      FLYWHEEL_ADMIN_TOKEN: 'gateway-admin-token-0123',
      FLYWHEEL_FEEDBACK_SECRET: 's'.repeat(32),
      FLAGS_FILE: flagsFile,
      FLYWHEEL_DATA_DIR: dir,
    });

  it('refuses to boot with a route it cannot prepare, naming it, before opening flags or the bus', async () => {
    const boot = createGatewayApp({
      env: env(join(dir, 'missing-flags.json')),
      config: config(['m', 'ghost']),
    });
    await expect(boot).rejects.toBeInstanceOf(ConfigError);
    await expect(boot).rejects.toThrow(/routes\.r\.variants\.v: unknown model "ghost"/);
  });

  it('refuses to boot with no usable API key, naming what to set', async () => {
    const keyless = {
      ...config(['m']),
      api_keys: { demo: ApiKeyConfig.parse({ key_env: 'UNSET_DEMO_KEY' }) },
    };
    const boot = createGatewayApp({
      env: { ...env(join(FIXTURES, 'flags.json')), apiKeys: [], adminToken: undefined },
      config: keyless,
      providerEnv: {},
    });
    await expect(boot).rejects.toBeInstanceOf(ConfigError);
    await expect(boot).rejects.toThrow(/FLYWHEEL_API_KEYS: no gateway API key/);
  });

  it('boots on the embedded bus, reports ready, names providers without a key, and closes', async () => {
    const gateway = await createGatewayApp({
      env: env(join(FIXTURES, 'flags.json')),
      config: config(['m']),
      providerEnv: {},
    });
    try {
      expect(gateway.bus.kind).toBe('embedded');
      expect(gateway.missingProviderKeys).toEqual(['p']);
      const anonymous = await gateway.app.inject({ method: 'GET', url: '/readyz' });
      expect([anonymous.statusCode, anonymous.json()]).toEqual([200, { status: 'ready' }]);
      const ready = await gateway.app.inject({
        method: 'GET',
        url: '/readyz',
        headers: { authorization: 'Bearer gateway-admin-token-0123' },
      });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ checks: { bus: 'ok', flags: 'ok' } });
      const unauthorized = await gateway.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: {},
      });
      expect(unauthorized.statusCode).toBe(401);
    } finally {
      await gateway.close();
    }
  });

  it('boots on FLAGS_FILE when the flag sync source is down, ready, with /readyz saying so', async () => {
    const gateway = await createGatewayApp({
      // port 9 (discard): nothing answers gRPC there
      env: { ...env(join(FIXTURES, 'flags.json')), flagsSyncAddress: '127.0.0.1:9' },
      config: config(['m']),
      providerEnv: {},
    });
    try {
      const ready = await gateway.app.inject({
        method: 'GET',
        url: '/readyz',
        headers: { authorization: 'Bearer gateway-admin-token-0123' },
      });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ ready: true, checks: { flags: 'ok' } });
      expect(ready.json().checks.flags_sync).toMatch(
        /^flag sync source 127\.0\.0\.1:9 unreachable since .*; serving .*flags\.json; reconnecting$/,
      );
    } finally {
      await gateway.close();
    }
  });
});
