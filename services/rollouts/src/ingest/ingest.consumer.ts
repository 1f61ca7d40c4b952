import { Topics } from '@flywheel/contracts';
import { type EventBus, type IncomingEvent, type Subscription, UnrecoverableError } from '@flywheel/platform';
import type { EvidenceStore } from '../evidence/evidence.store';

/**
 * The controller's own consumer group on interactions and feedback. The bus commits an
 * offset only after the handler resolved, i.e. after the count's transaction committed; a
 * redelivered event finds its id already processed and changes nothing.
 */
export class IngestConsumer {
  private subscription: Subscription | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly evidence: EvidenceStore,
    private readonly group: string,
    /** called after each counted event (the controller re-decides, coalesced) */
    private readonly onEvidence: () => void,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      group: this.group,
      topics: [Topics.interactions, Topics.feedback],
      handler: (event) => this.handle(event),
      partitionsConcurrently: 12,
    });
  }

  async handle(event: IncomingEvent): Promise<void> {
    let counted: boolean;
    switch (event.type) {
      case 'dev.flywheel.interaction.v1':
        counted = await this.evidence.interaction(event.id, event.data);
        break;
      case 'dev.flywheel.feedback.v1':
        counted = await this.evidence.feedback(event.id, event.data);
        break;
      default:
        throw new UnrecoverableError(`unexpected ${event.type} event on ${event.topic}`);
    }
    if (counted) this.onEvidence();
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop();
  }
}
