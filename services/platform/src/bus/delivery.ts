import { decodeEvent } from './cloud-event';
import { InvalidEventError, RetryableError, UnrecoverableError } from './errors';
import type { BatchEventHandler, EventHandler, IncomingEvent } from './event-bus';

export interface RawMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string | undefined>;
  value: string | null;
}

export type DeliveryOutcome = { kind: 'handled' } | { kind: 'dead'; reason: string } | { kind: 'stopped' };

export interface DeliveryOptions {
  maxAttempts: number;
  retryBaseMs: number;
  /** true once the subscription is stopping: give up without an outcome (offset not committed) */
  stopped: () => boolean;
  /** called between redeliveries (Kafka: heartbeat so the group keeps the partition) */
  beforeRetry?: () => Promise<void>;
  onRetry?: (err: unknown) => void;
}

/**
 * Validates one raw message and runs the handler with the bus's retry policy (see errors.ts).
 * Shared by both adapters so their observable semantics are the same.
 */
export async function deliver(
  msg: RawMessage,
  handler: EventHandler,
  opts: DeliveryOptions,
): Promise<DeliveryOutcome> {
  let decoded;
  try {
    decoded = decodeEvent(msg.headers, msg.value);
  } catch (err) {
    if (err instanceof InvalidEventError) return { kind: 'dead', reason: `invalid_event: ${err.message}` };
    throw err;
  }
  for (let attempt = 1; ; attempt++) {
    if (opts.stopped()) return { kind: 'stopped' };
    const event = {
      ...decoded,
      key: msg.key,
      topic: msg.topic,
      partition: msg.partition,
      offset: msg.offset,
      attempt,
    } as IncomingEvent;
    try {
      await handler(event);
      return { kind: 'handled' };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof UnrecoverableError) return { kind: 'dead', reason: `unrecoverable: ${message}` };
      if (!(err instanceof RetryableError) && attempt >= opts.maxAttempts) {
        return { kind: 'dead', reason: `handler_failed after ${attempt} attempts: ${message}` };
      }
      opts.onRetry?.(err);
      await opts.beforeRetry?.();
      await interruptibleSleep(
        Math.min(5_000, opts.retryBaseMs * 2 ** Math.min(attempt - 1, 16)),
        opts.stopped,
      );
    }
  }
}

/**
 * A batch of one partition's messages, in order: invalid ones are dead at once, the valid ones go
 * to `batchHandler` together; when it throws, each goes through {@link deliver} one at a time
 * (retries, DLQ), so the outcomes are the same as per-event delivery, only cheaper when nothing
 * fails. Outcomes line up with `msgs`; after a `stopped` one the rest are `stopped` too.
 */
export async function deliverBatch(
  msgs: RawMessage[],
  handler: EventHandler,
  batchHandler: BatchEventHandler,
  opts: DeliveryOptions,
): Promise<DeliveryOutcome[]> {
  const outcomes: DeliveryOutcome[] = [];
  const events: IncomingEvent[] = [];
  for (const msg of msgs) {
    try {
      const decoded = decodeEvent(msg.headers, msg.value);
      const { key, topic, partition, offset } = msg;
      events.push({ ...decoded, key, topic, partition, offset, attempt: 1 } as IncomingEvent);
      outcomes.push({ kind: 'handled' });
    } catch (err) {
      if (!(err instanceof InvalidEventError)) throw err;
      outcomes.push({ kind: 'dead', reason: `invalid_event: ${err.message}` });
    }
  }
  if (events.length === 0) return outcomes;
  if (opts.stopped()) return msgs.map(() => ({ kind: 'stopped' }));
  try {
    await batchHandler(events);
    return outcomes;
  } catch (err) {
    opts.onRetry?.(err);
  }
  for (let i = 0; i < msgs.length; i++) {
    if (outcomes[i]!.kind === 'dead') continue;
    const outcome = await deliver(msgs[i]!, handler, opts);
    if (outcome.kind === 'stopped') return outcomes.map((o, j) => (j < i ? o : { kind: 'stopped' }));
    outcomes[i] = outcome;
  }
  return outcomes;
}

async function interruptibleSleep(ms: number, stopped: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !stopped()) {
    await new Promise((r) => setTimeout(r, Math.min(50, until - Date.now())));
  }
}

/** Headers a DLQ copy carries besides the original ones. */
export function dlqHeaders(msg: RawMessage, group: string, reason: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(msg.headers)) if (v !== undefined) headers[k] = v;
  return {
    ...headers,
    flywheel_error: reason.slice(0, 2000),
    flywheel_source_topic: msg.topic,
    flywheel_source_partition: String(msg.partition),
    flywheel_source_offset: msg.offset,
    flywheel_consumer_group: group,
  };
}
