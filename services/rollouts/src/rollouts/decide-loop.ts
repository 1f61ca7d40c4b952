import { Logger } from '@nestjs/common';

/**
 * Runs the decision on fresh evidence (coalesced: one run after a burst of events, at most
 * one queued behind a running one) and on a timer, so minimum times per step pass without
 * traffic.
 */
export class DecideLoop {
  private readonly logger = new Logger('DecideLoop');
  private timer: NodeJS.Timeout | null = null;
  private pending: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly decide: () => Promise<void>,
    private readonly intervalMs: number,
    /** how long to gather a burst of events before deciding */
    private readonly coalesceMs = 100,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.run(), this.intervalMs);
    this.timer.unref();
  }

  poke(): void {
    if (this.stopped || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      this.run();
    }, this.coalesceMs);
  }

  private run(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.decide();
        } catch (err) {
          this.logger.error(`rollout decision failed: ${(err as Error).message}`);
        }
      } while (this.again && !this.stopped);
      this.running = null;
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.pending) clearTimeout(this.pending);
    await this.running;
  }
}
