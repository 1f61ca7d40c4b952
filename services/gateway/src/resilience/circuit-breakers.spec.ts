import { ProviderError } from '../providers/provider-error';
import { CircuitBreakers } from './circuit-breakers';

/**
 * cockatiel reads Date.now() itself, so time here is Jest's fake system clock: only
 * `jest.setSystemTime` moves it, and nothing waits for real.
 */

const T0 = Date.parse('2026-01-01T00:00:00Z');
const upstream500 = () => Promise.reject(new ProviderError('server_error', 'boom', 500));
const ok = () => Promise.resolve('answer');

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    return String(await p);
  } catch (err) {
    return err instanceof ProviderError ? err.errorClass : 'other';
  }
}

describe('CircuitBreakers', () => {
  let breakers: CircuitBreakers;

  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    breakers = new CircuitBreakers({ consecutiveFailures: 3, halfOpenAfterMs: 10_000 });
  });

  afterEach(() => jest.useRealTimers());

  async function failTimes(key: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) await outcome(breakers.execute(key, upstream500));
  }

  it('opens after K consecutive model failures, then fails fast without calling upstream', async () => {
    await failTimes('m', 2);
    expect(breakers.state('m')).toBe('closed');
    await failTimes('m', 1);
    expect(breakers.state('m')).toBe('open');

    const call = jest.fn(ok);
    expect(await outcome(breakers.execute('m', call))).toBe('circuit_open');
    expect(call).not.toHaveBeenCalled();
  });

  it('a success in between resets the count', async () => {
    await failTimes('m', 2);
    await breakers.execute('m', ok);
    await failTimes('m', 2);
    expect(breakers.state('m')).toBe('closed');
  });

  it('keeps one breaker per model', async () => {
    await failTimes('a', 3);
    expect(breakers.state('a')).toBe('open');
    expect(breakers.state('b')).toBe('closed');
    expect(await outcome(breakers.execute('b', ok))).toBe('answer');
  });

  it('does not count client errors, invalid output or cancellations against the model', async () => {
    for (const errorClass of ['bad_request', 'invalid_output', 'cancelled', 'auth'] as const) {
      for (let i = 0; i < 3; i++) {
        await outcome(breakers.execute('m', () => Promise.reject(new ProviderError(errorClass, 'x'))));
      }
    }
    expect(breakers.state('m')).toBe('closed');
  });

  it('counts 429s and timeouts', async () => {
    await outcome(breakers.execute('m', () => Promise.reject(new ProviderError('rate_limited', 'x', 429))));
    await outcome(breakers.execute('m', () => Promise.reject(new ProviderError('timeout', 'x'))));
    await outcome(breakers.execute('m', () => Promise.reject(new ProviderError('network', 'x'))));
    expect(breakers.state('m')).toBe('open');
  });

  it('stays open until halfOpenAfter, then lets exactly one probe through', async () => {
    await failTimes('m', 3);
    jest.setSystemTime(T0 + 9_999);
    expect(await outcome(breakers.execute('m', ok))).toBe('circuit_open');

    jest.setSystemTime(T0 + 10_000);
    let release!: (v: string) => void;
    const probe = jest.fn(() => new Promise<string>((r) => (release = r)));
    const others = jest.fn(ok);
    const probing = breakers.execute('m', probe);
    expect(breakers.state('m')).toBe('half_open');
    // concurrent calls during the probe fail fast instead of queueing behind it
    const during = await Promise.all([1, 2, 3].map(() => outcome(breakers.execute('m', others))));
    expect(during).toEqual(['circuit_open', 'circuit_open', 'circuit_open']);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(others).not.toHaveBeenCalled();

    release('probe ok');
    expect(await probing).toBe('probe ok');
    expect(breakers.state('m')).toBe('closed');
    expect(await outcome(breakers.execute('m', others))).toBe('answer');
  });

  it('re-opens when the probe fails, for another halfOpenAfter', async () => {
    await failTimes('m', 3);
    jest.setSystemTime(T0 + 10_000);
    expect(await outcome(breakers.execute('m', upstream500))).toBe('server_error');
    expect(breakers.state('m')).toBe('open');
    jest.setSystemTime(T0 + 19_999);
    expect(await outcome(breakers.execute('m', ok))).toBe('circuit_open');
    jest.setSystemTime(T0 + 20_000);
    expect(await outcome(breakers.execute('m', ok))).toBe('answer');
    expect(breakers.state('m')).toBe('closed');
  });
});
