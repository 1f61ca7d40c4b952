import { type EventLoopUtilization, monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** One period of the event loop: how long it was, how busy the loop was and how late its timers ran. */
export interface LoopSample {
  durationMs: number;
  /** event-loop utilization over the period, 0–1 */
  utilization: number;
  /** p99 of the event-loop delay over the period, ms */
  delayP99Ms: number;
}

export type SaturationReason = 'event_loop_delay' | 'event_loop_utilization';

export interface SaturationThresholds {
  /** 0 = not checked */
  maxEventLoopDelayMs: number;
  /** 0 = not checked */
  maxEventLoopUtilization: number;
  saturationWindowMs: number;
}

/**
 * Decides from the latest samples whether the loop is saturated: every sample of the most recent
 * `saturationWindowMs` (at least that much time, newest first) is over a threshold. So a single
 * busy moment shorter than the window sheds nothing, while a loop that stays busy (or one period
 * blocked longer than the window) does. Pure: the sampler below feeds it.
 */
export class LoopSaturation {
  private samples: LoopSample[] = [];
  private reason: SaturationReason | null = null;

  constructor(private readonly thresholds: SaturationThresholds) {}

  /** Adds the newest sample and returns whether the loop is now saturated, and why. */
  record(sample: LoopSample): SaturationReason | null {
    this.samples.unshift(sample);
    const { saturationWindowMs } = this.thresholds;
    let covered = 0;
    let keep = 0;
    while (keep < this.samples.length && covered < saturationWindowMs)
      covered += this.samples[keep++]!.durationMs;
    this.samples.length = keep;
    this.reason =
      covered < saturationWindowMs ? null : (this.overAll('delay') ?? this.overAll('utilization'));
    return this.reason;
  }

  get saturated(): SaturationReason | null {
    return this.reason;
  }

  private overAll(what: 'delay' | 'utilization'): SaturationReason | null {
    const { maxEventLoopDelayMs, maxEventLoopUtilization } = this.thresholds;
    if (what === 'delay') {
      if (maxEventLoopDelayMs <= 0) return null;
      return this.samples.every((s) => s.delayP99Ms >= maxEventLoopDelayMs) ? 'event_loop_delay' : null;
    }
    if (maxEventLoopUtilization <= 0) return null;
    return this.samples.every((s) => s.utilization >= maxEventLoopUtilization)
      ? 'event_loop_utilization'
      : null;
  }
}

/**
 * Samples this process's event loop every `intervalMs` (`performance.eventLoopUtilization` and
 * `monitorEventLoopDelay`) into a {@link LoopSaturation}; started after boot, so the work of
 * booting is never counted. The timer is unref'd.
 */
export class LoopSampler {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });
  private timer: NodeJS.Timeout | undefined;
  private last: { at: number; elu: EventLoopUtilization } | undefined;

  constructor(
    private readonly saturation: LoopSaturation,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    if (this.timer) return;
    this.histogram.enable();
    this.last = { at: performance.now(), elu: performance.eventLoopUtilization() };
    this.timer = setInterval(() => this.sample(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.histogram.disable();
  }

  private sample(): void {
    const now = { at: performance.now(), elu: performance.eventLoopUtilization() };
    const previous = this.last ?? now;
    this.last = now;
    const delay = this.histogram.count > 0 ? this.histogram.percentile(99) / 1e6 : 0;
    this.histogram.reset();
    this.saturation.record({
      durationMs: now.at - previous.at,
      utilization: performance.eventLoopUtilization(now.elu, previous.elu).utilization,
      delayP99Ms: delay,
    });
  }
}
