import { Backoff, type BackoffOptions } from './backoff';

const options: BackoffOptions = { baseMs: 100, maxMs: 1_000, retryAfterCapMs: 5_000 };
const fixed = (value: number) => new Backoff(options, { next: () => value });

describe('Backoff (full jitter)', () => {
  it('draws each delay uniformly below an exponentially growing ceiling', () => {
    const low = fixed(0);
    const high = fixed(0.999999);
    expect([1, 2, 3, 4].map((n) => low.delayMs(n))).toEqual([0, 0, 0, 0]);
    expect([1, 2, 3, 4].map((n) => high.delayMs(n))).toEqual([99, 199, 399, 799]);
    expect(fixed(0.5).delayMs(3)).toBe(200);
  });

  it('never exceeds maxMs, however many failures', () => {
    const high = fixed(0.999999);
    expect(high.delayMs(5)).toBe(999);
    expect(high.delayMs(60)).toBe(999);
  });

  it('waits at least the Retry-After the upstream asked for, up to the cap', () => {
    expect(fixed(0).delayMs(1, 1_000)).toBe(1_000);
    expect(fixed(0.999999).delayMs(4, 300)).toBe(799); // jitter already longer
    expect(fixed(0).delayMs(1, 5_000)).toBe(5_000);
    expect(fixed(0).delayMs(1, 0.4)).toBe(1);
  });

  it('refuses to wait out a Retry-After beyond the cap (so the chain moves on)', () => {
    expect(fixed(0).delayMs(1, 5_001)).toBeUndefined();
    expect(fixed(0.5).delayMs(2, 60_000)).toBeUndefined();
  });
});
