import { Topics } from '@flywheel/contracts';
import { type EventBus, type IncomingEvent, type Subscription, UnrecoverableError } from '@flywheel/platform';
import { classifyConsumerError } from '../db/sql-errors';
import type { JoinEvent, JoinService } from './join.service';

/**
 * One consumer group on the interactions and feedback topics. Parses nothing itself (the bus
 * validated the event against its contract, and dead-letters what fails) and delegates to the
 * join, a fetched batch at a time; the bus commits the offsets only after the handler resolved,
 * i.e. after the sink's transaction committed.
 */
export class IngestConsumer {
  private subscription: Subscription | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly joins: JoinService,
    private readonly group: string,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      group: this.group,
      topics: [Topics.interactions, Topics.feedback],
      handler: (event) => this.handle(event),
      // one transaction per fetched batch of a partition; a failing batch is retried event by event
      batchHandler: (events) => this.handleBatch(events),
      // a batch holds up to 3 advisory locks per event until it commits, and Postgres's lock table
      // is shared (max_locks_per_transaction × max_connections, 6,400 by default): 100 keeps a
      // pool of 10 busy connections well under it, and a transaction short
      batchMaxEvents: 100,
      // every partition of both topics at once: a vote need not wait behind interaction batches
      partitionsConcurrently: 12,
    });
  }

  handle(event: IncomingEvent): Promise<void> {
    return this.handleBatch([event]);
  }

  async handleBatch(events: IncomingEvent[]): Promise<void> {
    try {
      await this.joins.batch(events.map(toJoinEvent));
    } catch (err) {
      throw classifyConsumerError(err);
    }
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop();
  }
}

function toJoinEvent(event: IncomingEvent): JoinEvent {
  switch (event.type) {
    case 'dev.flywheel.interaction.v1':
      return { kind: 'interaction', data: event.data };
    case 'dev.flywheel.feedback.v1':
      return { kind: 'feedback', data: event.data };
    default:
      throw new UnrecoverableError(`unexpected ${event.type} event on ${event.topic}`);
  }
}
