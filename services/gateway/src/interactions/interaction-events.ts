import { Logger } from '@nestjs/common';
import type { InteractionEvent } from '@flywheel/contracts';
import { type Clock, DomainError, type EventBus, SpoolFullError } from '@flywheel/platform';
import type { GatewayMetrics } from './gateway.metrics';
import { fitEvent } from './event-size';

const LOG_EVERY_MS = 10_000;
/** what a 503 for a full spool tells the client to wait */
const SPOOL_FULL_RETRY_AFTER_S = 5;

/**
 * Records interaction events before the answer goes out: `record()` cuts the event to the size
 * bound, hands it to the bus with its JSON (serialized once, while measuring it) and resolves once the bus has
 * it durably — on Kafka, once the spool's group commit has fsync'd it; on the embedded bus, once
 * it is in the in-process log. A failure is counted, logged (at most once per 10 s, with the
 * count) and thrown to the caller, who must not answer 200 without its event: a full spool is a
 * DomainError `unavailable` (503 with Retry-After), anything else an internal error (500).
 *
 * `waitForDurable: false` (GATEWAY_EVENT_DURABLE_WAIT=false) exists only so `bench:gateway` can
 * measure what the wait costs: the event is still cut, validated and handed to the bus before the
 * answer, but the answer does not wait for the spool's fsync, and a failure is only counted.
 */
export class InteractionEvents {
  private readonly logger = new Logger('InteractionEvents');
  private readonly pending = new Set<Promise<unknown>>();
  private failedSinceLog = 0;
  private lastLogAt = 0;

  constructor(
    private readonly bus: Pick<EventBus, 'publish'>,
    private readonly metrics: GatewayMetrics,
    private readonly clock: Clock,
    /** GATEWAY_EVENT_MAX_BYTES: the bound on the event's JSON */
    private readonly maxBytes: number,
    /** Applied to each event before it is serialized (at-source redaction, see gateway-app). */
    private readonly prepare: (event: InteractionEvent) => InteractionEvent = (event) => event,
    /** false only for bench:gateway's comparison leg (see the class comment) */
    private readonly waitForDurable = true,
  ) {}

  async record(event: InteractionEvent): Promise<void> {
    let sent: Promise<unknown>;
    try {
      const { event: data, json } = fitEvent(this.prepare(event), this.maxBytes);
      if (data.truncated) this.metrics.eventTruncated();
      // serialized once, by fitEvent; built by typed code and checked against the schema in
      // the tests, so the bus does not validate it again (consumers do)
      sent = this.bus.publish({
        type: 'dev.flywheel.interaction.v1',
        key: data.interaction_id,
        id: data.interaction_id,
        data,
        json,
      });
    } catch (err) {
      sent = Promise.reject(err);
    }
    this.pending.add(sent);
    if (!this.waitForDurable) {
      sent.then(
        () => this.pending.delete(sent),
        (err: unknown) => {
          this.pending.delete(sent);
          this.failed(event.interaction_id, err);
        },
      );
      return;
    }
    try {
      await sent;
    } catch (err) {
      this.failed(event.interaction_id, err);
      if (err instanceof SpoolFullError) {
        throw new DomainError(
          'unavailable',
          'the gateway cannot record interactions right now (its event spool is full); retry later',
          undefined,
          { 'retry-after': String(SPOOL_FULL_RETRY_AFTER_S) },
        );
      }
      throw err;
    } finally {
      this.pending.delete(sent);
    }
  }

  /** Waits until every event handed to the bus so far is settled (shutdown). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

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
      `interaction event ${interactionId} not recorded (${count} failure(s) since the last report): ${reason}`,
    );
  }
}
