import { ConfigError, DEFAULT_HTTP_LIMITS } from '@flywheel/platform';
import { DEFAULT_CONSOLE_DIR, parseCuratorEnv, pgliteDataDir } from './env';

const TOKEN = 'an-admin-token-of-some-length';

describe('parseCuratorEnv', () => {
  it('applies the documented defaults', () => {
    const env = parseCuratorEnv({ FLYWHEEL_ADMIN_TOKEN: TOKEN });
    expect(env).toEqual({
      port: 8082,
      host: '0.0.0.0',
      adminToken: TOKEN,
      databaseUrl: undefined,
      kafka: undefined,
      configPath: undefined,
      dataDir: '.flywheel',
      spoolDir: undefined,
      consoleDir: DEFAULT_CONSOLE_DIR,
      rolloutsUrl: undefined,
      groupId: 'flywheel-curator',
      sweepIntervalMs: 5000,
      retentionIntervalMs: 3_600_000,
      faultExitAfterFeedback: undefined,
      limits: DEFAULT_HTTP_LIMITS,
      trustedProxies: undefined,
    });
    expect(DEFAULT_CONSOLE_DIR.endsWith('services/console/dist')).toBe(true);
    expect(pgliteDataDir(env)).toBe('.flywheel/curator/pgdata');
  });

  it('reads every variable', () => {
    const env = parseCuratorEnv({
      FLYWHEEL_ADMIN_TOKEN: TOKEN,
      CURATOR_PORT: '9000',
      CURATOR_HOST: '127.0.0.1',
      DATABASE_URL: 'postgres://db/curator',
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      FLYWHEEL_CONFIG: 'my.yaml',
      FLYWHEEL_DATA_DIR: '/data',
      CURATOR_SPOOL_DIR: '/spool',
      CURATOR_CONSOLE_DIR: '/srv/console',
      CURATOR_ROLLOUTS_URL: 'http://rollouts:8083',
      CURATOR_GROUP_ID: 'curator-blue',
      CURATOR_SWEEP_INTERVAL_MS: '250',
      CURATOR_RETENTION_INTERVAL_MS: '60000',
    });
    expect(env).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      databaseUrl: 'postgres://db/curator',
      kafka: { brokers: ['k1:9092', 'k2:9092'] },
      configPath: 'my.yaml',
      dataDir: '/data',
      spoolDir: '/spool',
      consoleDir: '/srv/console',
      rolloutsUrl: 'http://rollouts:8083',
      groupId: 'curator-blue',
      sweepIntervalMs: 250,
      retentionIntervalMs: 60000,
    });
    expect(pgliteDataDir(env)).toBe('/data/curator/pgdata');
  });

  it('requires an admin token of at least 16 characters, naming the variable but not the value', () => {
    expect(() => parseCuratorEnv({})).toThrow(/FLYWHEEL_ADMIN_TOKEN/);
    let error: unknown;
    try {
      parseCuratorEnv({ FLYWHEEL_ADMIN_TOKEN: 'short-secret' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/FLYWHEEL_ADMIN_TOKEN/);
    expect(String(error)).not.toContain('short-secret');
  });

  it('refuses a bad port, interval or rollout controller URL', () => {
    expect(() => parseCuratorEnv({ FLYWHEEL_ADMIN_TOKEN: TOKEN, CURATOR_PORT: '70000' })).toThrow(
      /CURATOR_PORT/,
    );
    expect(() => parseCuratorEnv({ FLYWHEEL_ADMIN_TOKEN: TOKEN, CURATOR_SWEEP_INTERVAL_MS: '0' })).toThrow(
      /CURATOR_SWEEP_INTERVAL_MS/,
    );
    expect(() =>
      parseCuratorEnv({ FLYWHEEL_ADMIN_TOKEN: TOKEN, CURATOR_ROLLOUTS_URL: 'rollouts:8083' }),
    ).toThrow(/CURATOR_ROLLOUTS_URL/);
  });
});
