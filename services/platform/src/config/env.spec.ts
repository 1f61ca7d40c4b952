import { z } from 'zod';
import { ConfigError } from './config-error';
import { commaList, parseEnv } from './env';

const GatewayEnv = z.object({
  GATEWAY_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  FLYWHEEL_API_KEYS: commaList,
  FLYWHEEL_FEEDBACK_SECRET: z.string().min(32),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn']).default('info'),
});

describe('parseEnv', () => {
  it('returns typed, coerced values and applies defaults', () => {
    const env = parseEnv(GatewayEnv, {
      GATEWAY_PORT: '9000',
      FLYWHEEL_API_KEYS: 'k1, k2,,k3',
      FLYWHEEL_FEEDBACK_SECRET: 's'.repeat(32),
    });

    expect(env).toEqual({
      GATEWAY_PORT: 9000,
      FLYWHEEL_API_KEYS: ['k1', 'k2', 'k3'],
      FLYWHEEL_FEEDBACK_SECRET: 's'.repeat(32),
      LOG_LEVEL: 'info',
    });
  });

  it('treats an empty variable as unset, so the default applies', () => {
    const env = parseEnv(GatewayEnv, {
      GATEWAY_PORT: '',
      FLYWHEEL_API_KEYS: 'k',
      FLYWHEEL_FEEDBACK_SECRET: 's'.repeat(32),
    });

    expect(env.GATEWAY_PORT).toBe(8080);
  });

  it('names every bad or missing variable, one per line, without echoing values', () => {
    const secret = 'too-short-secret';
    let error: unknown;
    try {
      parseEnv(GatewayEnv, { GATEWAY_PORT: 'eighty', FLYWHEEL_FEEDBACK_SECRET: secret, LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).message.split('\n');
    expect(lines[0]).toBe('Invalid configuration in environment (4 problems):');
    expect(lines.slice(1).map((l) => l.split(':')[0])).toEqual([
      'GATEWAY_PORT',
      'FLYWHEEL_API_KEYS',
      'FLYWHEEL_FEEDBACK_SECRET',
      'LOG_LEVEL',
    ]);
    expect(lines[2]).toBe('FLYWHEEL_API_KEYS: required (expected string)');
    expect((error as ConfigError).message).not.toContain(secret);
  });

  it('reads process.env by default', () => {
    process.env.FLYWHEEL_TEST_PARSE_ENV = '42';
    try {
      expect(parseEnv(z.object({ FLYWHEEL_TEST_PARSE_ENV: z.coerce.number() }))).toEqual({
        FLYWHEEL_TEST_PARSE_ENV: 42,
      });
    } finally {
      delete process.env.FLYWHEEL_TEST_PARSE_ENV;
    }
  });
});
