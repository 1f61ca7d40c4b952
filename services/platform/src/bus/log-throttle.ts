import type { Clock } from '../clock';

/**
 * Lets each distinct message through once per `intervalMs`: kafkajs logs every failed
 * connection attempt, which during an outage is many lines a second. Bounded: at most
 * `maxKeys` distinct messages are remembered (the oldest forgotten first).
 */
export class LogThrottle {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs = 60_000,
    private readonly maxKeys = 1_000,
  ) {}

  /** true when `key` was not let through within the interval (and records that it is now) */
  allow(key: string): boolean {
    const now = this.clock.now();
    const seen = this.last.get(key);
    if (seen !== undefined && seen > now - this.intervalMs) return false;
    this.last.delete(key);
    this.last.set(key, now);
    if (this.last.size > this.maxKeys) this.last.delete(this.last.keys().next().value!);
    return true;
  }
}
