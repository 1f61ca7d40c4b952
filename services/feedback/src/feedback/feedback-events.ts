import type { FeedbackEvent } from '@flywheel/contracts';
import { type EventBus, SpoolFullError } from '@flywheel/platform';
import { unavailable } from './unavailable';

/** Publishes feedback events to `flywheel.feedback.v1`, keyed by interaction_id. */
export class FeedbackEvents {
  constructor(private readonly bus: EventBus) {}

  /**
   * Resolves once the event is durable (spooled for Kafka). The CloudEvents id is
   * `<feedback_id>:<revision>`, so a revision published twice (a takeover after a crash) is one
   * event to consumers that dedupe on it.
   */
  async publish(event: FeedbackEvent): Promise<void> {
    try {
      await this.bus.publish({
        type: 'dev.flywheel.feedback.v1',
        key: event.interaction_id,
        id: `${event.feedback_id}:${event.revision}`,
        data: event,
      });
    } catch (err) {
      if (err instanceof SpoolFullError) throw unavailable('feedback is temporarily unavailable');
      throw err;
    }
  }
}
