import { Topics } from '@flywheel/contracts';
import { type EventBus, type IncomingEvent, type Subscription, UnrecoverableError } from '@flywheel/platform';
import { classifyConsumerError } from '../db/sql-errors';
import type { JoinService } from './join.service';

/**
 * One consumer group on the interactions and feedback topics. Parses nothing itself (the bus
 * validated the event against its contract, and dead-letters what fails) and delegates to the
 * join; the bus commits the offset only after the handler resolved, i.e. after the sink's
 * transaction committed.
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
      // every partition of both topics at once: a vote need not wait behind interaction batches
      partitionsConcurrently: 12,
    });
  }

  async handle(event: IncomingEvent): Promise<void> {
    try {
      switch (event.type) {
        case 'dev.flywheel.interaction.v1':
          return await this.joins.interaction(event.data);
        case 'dev.flywheel.feedback.v1':
          return await this.joins.feedback(event.data);
        default:
          throw new UnrecoverableError(`unexpected ${event.type} event on ${event.topic}`);
      }
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
