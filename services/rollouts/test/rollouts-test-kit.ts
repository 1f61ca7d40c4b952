import { randomBytes, randomUUID } from 'node:crypto';
import type { FeedbackEvent, InteractionEvent } from '@flywheel/contracts';
import type { EventBus } from '@flywheel/platform';

/**
 * Evidence as the gateway and the feedback service publish it, straight onto the topics, so a
 * test drives the controller without either service.
 */

export const suffix = () => randomBytes(5).toString('hex');
const hex64 = () => randomBytes(32).toString('hex');

export function interaction(
  route: string,
  variant: string,
  over: Partial<InteractionEvent> = {},
): InteractionEvent {
  const now = new Date().toISOString();
  return {
    interaction_id: `it-${randomUUID()}`,
    route,
    flag_key: `${route}-flag`,
    variant,
    variant_reason: 'SPLIT',
    subject_hash: hex64(),
    subject_generated: false,
    request: { messages: [{ role: 'user', content: 'hello' }], stream: false },
    attempts: [],
    final_model: 'sim-fast',
    status: 'ok',
    output: 'hi',
    validation: { schema: false, valid: false, repaired: false, reasks: 0 },
    usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
    cost_usd: 0.001,
    latency_ms: 200,
    started_at: now,
    finished_at: now,
    ...over,
  };
}

export function vote(
  i: InteractionEvent,
  rating: 'up' | 'down',
  over: Partial<FeedbackEvent> = {},
): FeedbackEvent {
  return {
    feedback_id: `fb-${randomUUID()}`,
    interaction_id: i.interaction_id,
    route: i.route,
    variant: i.variant,
    subject_hash: i.subject_hash,
    rating,
    reasons: [],
    revision: 1,
    created_at: new Date().toISOString(),
    ...over,
  };
}

export type Evidence = ({ kind: 'i'; e: InteractionEvent } | { kind: 'f'; e: FeedbackEvent }) & {
  id?: string;
};

/** Publishes the events (CloudEvents ids from the event ids unless given) and waits until Kafka has them. */
export async function publishEvidence(publisher: EventBus, events: Evidence[]): Promise<void> {
  for (const ev of events) {
    if (ev.kind === 'i') {
      await publisher.publish({
        type: 'dev.flywheel.interaction.v1',
        key: ev.e.interaction_id,
        id: ev.id ?? ev.e.interaction_id,
        data: ev.e,
      });
    } else {
      await publisher.publish({
        type: 'dev.flywheel.feedback.v1',
        key: ev.e.interaction_id,
        id: ev.id ?? `${ev.e.feedback_id}:${ev.e.revision}`,
        data: ev.e,
      });
    }
  }
  await publisher.flush(30_000);
}

/** `n` interactions of a variant, the first `votes` of them voted, `downs` of those dislikes, spread evenly. */
export function traffic(route: string, variant: string, n: number, votes: number, downs: number): Evidence[] {
  const out: Evidence[] = [];
  for (let k = 0; k < n; k++) {
    const i = interaction(route, variant);
    out.push({ kind: 'i', e: i });
    if (k < votes)
      out.push({
        kind: 'f',
        e: vote(i, Math.floor(((k + 1) * downs) / votes) > Math.floor((k * downs) / votes) ? 'down' : 'up'),
      });
  }
  return out;
}
