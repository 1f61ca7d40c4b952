import { Logger } from '@nestjs/common';
import type { InteractionEvent } from '@flywheel/contracts';
import type { Clock, EventBus } from '@flywheel/platform';
import type { GatewayMetrics } from './gateway.metrics';

const LOG_EVERY_MS = 10_000;

/**
 * Publishes interaction events off the request path: `publish()` only queues; the queue is
 * handed to the bus on the next turn of the event loop, after the answer was written. A
 * failure is counted and logged (at most once per 10 s, with the count), never thrown.
 */
export class InteractionEvents {
  private readonly logger = new Logger('InteractionEvents');
  private queue: InteractionEvent[] = [];
  private scheduled = false;
  private readonly pending = new Set<Promise<void>>();
  private failedSinceLog = 0;
  private lastLogAt = 0;

  constructor(
    private readonly bus: Pick<EventBus, 'publish'>,
    private readonly metrics: GatewayMetrics,
    private readonly clock: Clock,
  ) {}

  publish(event: InteractionEvent): void {
    this.queue.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /** Hands everything queued to the bus and waits until the bus has taken it (shutdown). */
  async flush(): Promise<void> {
    this.drain();
    await Promise.all([...this.pending]);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    for (const data of batch) {
      let sent: Promise<unknown>;
      try {
        sent = this.bus.publish({
          type: 'dev.flywheel.interaction.v1',
          key: data.interaction_id,
          id: data.interaction_id,
          data,
        });
      } catch (err) {
        sent = Promise.reject(err);
      }
      const tracked = sent.then(
        () => undefined,
        (err: unknown) => this.failed(data.interaction_id, err),
      );
      this.pending.add(tracked);
      void tracked.finally(() => this.pending.delete(tracked));
    }
  };

  private failed(interactionId: string, err: unknown): void {
    this.metrics.publishFailed();
    this.failedSinceLog++;
    const now = this.clock.now();
    if (now - this.lastLogAt < LOG_EVERY_MS) return;
    const count = this.failedSinceLog;
    this.failedSinceLog = 0;
    this.lastLogAt = now;
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.logger.error(
      `interaction event ${interactionId} not published (${count} failure(s) since the last report): ${reason}`,
    );
  }
}
