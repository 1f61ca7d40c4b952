import { ManualClock } from '../clock';
import { LogThrottle } from './log-throttle';

describe('LogThrottle', () => {
  it('lets a message through once per interval, each distinct message on its own', () => {
    const clock = new ManualClock(1_000_000);
    const t = new LogThrottle(clock, 60_000);
    expect(t.allow('a')).toBe(true);
    expect(t.allow('a')).toBe(false);
    expect(t.allow('b')).toBe(true);
    clock.advance(59_999);
    expect(t.allow('a')).toBe(false);
    clock.advance(1);
    expect(t.allow('a')).toBe(true);
  });

  it('remembers at most maxKeys messages', () => {
    const clock = new ManualClock(1_000_000);
    const t = new LogThrottle(clock, 60_000, 3);
    for (const k of ['a', 'b', 'c', 'd']) expect(t.allow(k)).toBe(true);
    // 'a' was forgotten to make room for 'd'
    expect(t.allow('a')).toBe(true);
    expect(t.allow('d')).toBe(false);
  });
});
