import { randomBytes, randomUUID } from 'node:crypto';
import type { FeedbackEvent, InteractionEvent } from '@flywheel/contracts';
import type { EventBus } from '@flywheel/platform';

/**
 * Evidence for the rollout controller as the gateway and the feedback service publish it:
 * interaction and feedback events, straight onto the real topics.
 */

export const hex64 = () => randomBytes(32).toString('hex');
/** A short random suffix that keeps route names, groups and spools of one test run apart. */
export const suffix = () => randomBytes(5).toString('hex');

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

export type TrafficEvent =
  { kind: 'i'; e: InteractionEvent; id?: string } | { kind: 'f'; e: FeedbackEvent; id?: string };

/** Publishes the events in order (ids: the interaction id, `<feedback_id>:<revision>`) and flushes. */
export async function publishTraffic(bus: EventBus, events: readonly TrafficEvent[]): Promise<void> {
  for (const ev of events) {
    if (ev.kind === 'i') {
      await bus.publish({
        type: 'dev.flywheel.interaction.v1',
        key: ev.e.interaction_id,
        id: ev.id ?? ev.e.interaction_id,
        data: ev.e,
      });
    } else {
      await bus.publish({
        type: 'dev.flywheel.feedback.v1',
        key: ev.e.interaction_id,
        id: ev.id ?? `${ev.e.feedback_id}:${ev.e.revision}`,
        data: ev.e,
      });
    }
  }
  await bus.flush(30_000);
}

/**
 * `n` interactions of a variant (fields from `over`), the first `votes` of them voted, `downs` of
 * those dislikes, spread evenly.
 */
export function traffic(
  route: string,
  variant: string,
  n: number,
  votes: number,
  downs: number,
  over: Partial<InteractionEvent> = {},
): TrafficEvent[] {
  const out: TrafficEvent[] = [];
  for (let k = 0; k < n; k++) {
    const i = interaction(route, variant, over);
    out.push({ kind: 'i', e: i });
    if (k < votes)
      out.push({
        kind: 'f',
        e: vote(i, Math.floor(((k + 1) * downs) / votes) > Math.floor((k * downs) / votes) ? 'down' : 'up'),
      });
  }
  return out;
}

/** Alternates the events of two streams, as a real split interleaves its variants. */
export function interleave<T>(a: T[], b: T[]): T[] {
  const out: T[] = [];
  const ratio = a.length / Math.max(1, b.length);
  let i = 0;
  for (const item of b) {
    while (i < a.length && i < ratio * (out.length - i + 1)) out.push(a[i++]!);
    out.push(item);
  }
  return out.concat(a.slice(i));
}
