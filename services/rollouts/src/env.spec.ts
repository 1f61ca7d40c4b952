import { ConfigError } from '@flywheel/platform';
import { parseRolloutsEnv } from './env';

const TOKEN = 'rollouts-admin-token-0123456789';

describe('parseRolloutsEnv', () => {
  it('applies the defaults', () => {
    expect(parseRolloutsEnv({ FLYWHEEL_ADMIN_TOKEN: TOKEN })).toMatchObject({
      port: 8083,
      host: '0.0.0.0',
      syncPort: 8015,
      flagsFile: 'infra/flags/flags.json',
      groupId: 'flywheel-rollouts',
      decideIntervalMs: 5_000,
      dataDir: '.flywheel',
      kafka: undefined,
      gate: {
        gatewayUrl: 'http://127.0.0.1:8080',
        curatorUrl: 'http://127.0.0.1:8082',
        gatewayToken: TOKEN,
        curatorToken: TOKEN,
        retryMs: 30_000,
      },
    });
  });

  it('forces the candidate with the gateway admin token when it differs from the admin token', () => {
    const env = parseRolloutsEnv({
      FLYWHEEL_ADMIN_TOKEN: TOKEN,
      GATEWAY_ADMIN_TOKEN: 'gateway-admin-token',
      FLYWHEEL_GATEWAY_URL: 'http://gw.internal:8080/',
    });
    expect(env.gate).toMatchObject({
      gatewayUrl: 'http://gw.internal:8080',
      gatewayToken: 'gateway-admin-token',
      curatorToken: TOKEN,
    });
    expect(() =>
      parseRolloutsEnv({ FLYWHEEL_ADMIN_TOKEN: TOKEN, FLYWHEEL_CURATOR_URL: 'curator:8082' }),
    ).toThrow(/FLYWHEEL_CURATOR_URL/);
  });

  it('names the variable that is missing or wrong', () => {
    expect(() => parseRolloutsEnv({})).toThrow(ConfigError);
    expect(() => parseRolloutsEnv({})).toThrow(/FLYWHEEL_ADMIN_TOKEN/);
    expect(() => parseRolloutsEnv({ FLYWHEEL_ADMIN_TOKEN: TOKEN, ROLLOUTS_PORT: '70000' })).toThrow(
      /ROLLOUTS_PORT/,
    );
    expect(() => parseRolloutsEnv({ FLYWHEEL_ADMIN_TOKEN: TOKEN, ROLLOUTS_SYNC_PORT: 'x' })).toThrow(
      /ROLLOUTS_SYNC_PORT/,
    );
    expect(() => parseRolloutsEnv({ FLYWHEEL_ADMIN_TOKEN: TOKEN, ROLLOUTS_DECIDE_INTERVAL_MS: '0' })).toThrow(
      /ROLLOUTS_DECIDE_INTERVAL_MS/,
    );
  });
});
