import { Topics } from '@flywheel/contracts';
import { type EventBus, type IncomingEvent, type Subscription, UnrecoverableError } from '@flywheel/platform';
import type { EvidenceEvent, EvidenceStore } from '../evidence/evidence.store';

/**
 * The controller's own consumer group on interactions and feedback, a fetched batch at a time.
 * The bus commits the offsets only after the handler resolved, i.e. after the counts'
 * transaction committed; a redelivered event finds its id already processed and changes nothing.
 */
export class IngestConsumer {
  private subscription: Subscription | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly evidence: EvidenceStore,
    private readonly group: string,
    /** called after each batch that counted something (the controller re-decides, coalesced) */
    private readonly onEvidence: () => void,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      group: this.group,
      topics: [Topics.interactions, Topics.feedback],
      handler: (event) => this.handle(event),
      // one transaction per fetched batch of a partition; a failing batch is retried event by event
      batchHandler: (events) => this.handleBatch(events),
      partitionsConcurrently: 12,
    });
  }

  handle(event: IncomingEvent): Promise<void> {
    return this.handleBatch([event]);
  }

  /** One fetched batch, counted in one transaction. */
  async handleBatch(events: IncomingEvent[]): Promise<void> {
    const counted = await this.evidence.batch(events.map(toEvidenceEvent));
    if (counted > 0) this.onEvidence();
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop();
  }
}

function toEvidenceEvent(event: IncomingEvent): EvidenceEvent {
  switch (event.type) {
    case 'dev.flywheel.interaction.v1':
      return { kind: 'interaction', id: event.id, data: event.data };
    case 'dev.flywheel.feedback.v1':
      return { kind: 'feedback', id: event.id, data: event.data };
    default:
      throw new UnrecoverableError(`unexpected ${event.type} event on ${event.topic}`);
  }
}
