import { ConfigError } from '@flywheel/platform';
import { DEFAULT_WIDGET_FILE, parseFeedbackEnv } from './env';

const SECRET = 'x'.repeat(32);

describe('parseFeedbackEnv', () => {
  it('has the documented defaults', () => {
    const env = parseFeedbackEnv({ FLYWHEEL_FEEDBACK_SECRET: SECRET });
    expect(env).toMatchObject({
      port: 8081,
      host: '0.0.0.0',
      secret: SECRET,
      rateLimits: { ip: { points: 120, windowS: 60 }, subject: { points: 30, windowS: 60 } },
      trustedProxies: undefined,
      limits: { maxInFlight: 256, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000 },
      widgetFile: DEFAULT_WIDGET_FILE,
      demo: { mode: 'canned' },
    });
    expect(DEFAULT_WIDGET_FILE).toMatch(/web-widget\/dist\/widget\.js$/);
  });

  it('requires a secret of at least 32 bytes, without echoing it', () => {
    expect(() => parseFeedbackEnv({})).toThrow(/FLYWHEEL_FEEDBACK_SECRET: required/);
    const short = () => parseFeedbackEnv({ FLYWHEEL_FEEDBACK_SECRET: 'hunter2-hunter2' });
    expect(short).toThrow(ConfigError);
    expect(short).toThrow(/FLYWHEEL_FEEDBACK_SECRET: must be at least 32 bytes/);
    expect(short).not.toThrow(/hunter2/);
  });

  it('names every bad variable', () => {
    expect(() =>
      parseFeedbackEnv({
        FLYWHEEL_FEEDBACK_SECRET: SECRET,
        FEEDBACK_PORT: 'http',
        FEEDBACK_RATE_IP_POINTS: '0',
      }),
    ).toThrow(/FEEDBACK_PORT[\s\S]*FEEDBACK_RATE_IP_POINTS/);
  });

  it('talks to the gateway when one is configured, and can be switched off', () => {
    const live = parseFeedbackEnv({
      FLYWHEEL_FEEDBACK_SECRET: SECRET,
      FEEDBACK_DEMO_GATEWAY_URL: 'http://localhost:8080/',
      FEEDBACK_DEMO_GATEWAY_KEY: 'demo-key',
    });
    expect(live.demo).toEqual({
      mode: 'gateway',
      gatewayUrl: 'http://localhost:8080',
      gatewayKey: 'demo-key',
    });
    expect(parseFeedbackEnv({ FLYWHEEL_FEEDBACK_SECRET: SECRET, FEEDBACK_DEMO: 'off' }).demo.mode).toBe(
      'off',
    );
    expect(() => parseFeedbackEnv({ FLYWHEEL_FEEDBACK_SECRET: SECRET, FEEDBACK_DEMO: 'gateway' })).toThrow(
      /FEEDBACK_DEMO_GATEWAY_URL/,
    );
  });

  it('takes the client address from TRUSTED_PROXIES, the deprecated FEEDBACK_TRUSTED_PROXY_HOPS only without it', () => {
    const base = { FLYWHEEL_FEEDBACK_SECRET: SECRET };
    expect(parseFeedbackEnv({ ...base, FEEDBACK_TRUSTED_PROXY_HOPS: '1' }).trustedProxies).toBe(1);
    expect(
      parseFeedbackEnv({ ...base, FEEDBACK_TRUSTED_PROXY_HOPS: '1', TRUSTED_PROXIES: '10.1.0.0/16' })
        .trustedProxies,
    ).toEqual(['10.1.0.0/16']);
    expect(parseFeedbackEnv({ ...base, FEEDBACK_MAX_IN_FLIGHT: '64' }).limits.maxInFlight).toBe(64);
  });
});
