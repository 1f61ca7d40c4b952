import { parseSimEnv } from './env';

describe('parseSimEnv', () => {
  it('defaults to port 8090 on all interfaces with no added latency', () => {
    expect(parseSimEnv({})).toEqual({ port: 8090, host: '0.0.0.0', latencyMs: 0 });
  });

  it('reads SIM_PORT, SIM_HOST and SIM_LATENCY_MS', () => {
    expect(parseSimEnv({ SIM_PORT: '9001', SIM_HOST: '127.0.0.1', SIM_LATENCY_MS: '25' })).toEqual({
      port: 9001,
      host: '127.0.0.1',
      latencyMs: 25,
    });
  });

  it.each([
    ['SIM_PORT', 'abc'],
    ['SIM_PORT', '70000'],
    ['SIM_LATENCY_MS', '-5'],
  ])('rejects %s=%s naming the key', (key, value) => {
    expect(() => parseSimEnv({ [key]: value })).toThrow(new RegExp(`^${key}: expected an integer`));
  });
});
