import { LoopSaturation } from './loop-saturation';

const idle = (durationMs = 500) => ({ durationMs, utilization: 0.1, delayP99Ms: 12 });
const busy = (durationMs = 500) => ({ durationMs, utilization: 1, delayP99Ms: 40 });
const lagging = (durationMs = 500) => ({ durationMs, utilization: 0.6, delayP99Ms: 1_500 });

describe('LoopSaturation', () => {
  const thresholds = { maxEventLoopDelayMs: 1_000, maxEventLoopUtilization: 0.98, saturationWindowMs: 2_000 };

  it('is saturated only once every sample of the whole window is over a threshold', () => {
    const s = new LoopSaturation(thresholds);
    expect(s.record(busy())).toBeNull();
    expect(s.record(busy())).toBeNull();
    expect(s.record(busy())).toBeNull();
    expect(s.record(busy())).toBe('event_loop_utilization');
    expect(s.saturated).toBe('event_loop_utilization');
    expect(s.record(idle())).toBeNull();
    expect(s.saturated).toBeNull();
  });

  it('ignores a busy moment shorter than the window among idle periods', () => {
    const s = new LoopSaturation(thresholds);
    for (const sample of [idle(), idle(), busy(1_500), idle(), busy(), busy(), busy()]) {
      expect(s.record(sample)).toBeNull();
    }
    expect(s.record(busy())).toBe('event_loop_utilization');
  });

  it('counts one period blocked for longer than the window', () => {
    const s = new LoopSaturation(thresholds);
    s.record(idle());
    expect(s.record({ durationMs: 2_500, utilization: 0.99, delayP99Ms: 2_400 })).toBe('event_loop_delay');
  });

  it('sheds on delay alone while utilization stays under its bound, and never with both checks off', () => {
    const s = new LoopSaturation(thresholds);
    for (let i = 0; i < 3; i++) s.record(lagging());
    expect(s.record(lagging())).toBe('event_loop_delay');
    const off = new LoopSaturation({ ...thresholds, maxEventLoopDelayMs: 0, maxEventLoopUtilization: 0 });
    for (let i = 0; i < 10; i++)
      expect(off.record({ durationMs: 5_000, utilization: 1, delayP99Ms: 5_000 })).toBeNull();
  });
});
