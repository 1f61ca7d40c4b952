import { randomUUID } from 'node:crypto';
import { EventCatalog, isEventType, type EventType } from '@flywheel/contracts';
import { InvalidEventError } from './errors';
import type { OutgoingEvent } from './event-bus';

/**
 * CloudEvents 1.0, Kafka protocol binding, binary content mode: the attributes travel as
 * `ce_*` headers, the payload (`data`) is the JSON message value, the partition key is the
 * Kafka key.
 */
export interface EncodedEvent {
  topic: string;
  key: string;
  headers: Record<string, string>;
  value: string;
}

/**
 * Validates `event.data` against its schema and serializes it, or, when the publisher passes
 * `event.json` (data it built and serialized itself), takes that text as it is.
 */
export function encodeEvent(event: OutgoingEvent, source: string, now: Date = new Date()): EncodedEvent {
  const entry = EventCatalog[event.type];
  const parsed = event.json === undefined ? entry.schema.safeParse(event.data) : undefined;
  if (parsed && !parsed.success) {
    throw new InvalidEventError(
      `${event.type} data does not match its schema`,
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  if (!event.key) throw new InvalidEventError('event key is required');
  const headers: Record<string, string> = {
    ce_specversion: '1.0',
    ce_id: event.id ?? randomUUID(),
    ce_source: source,
    ce_type: event.type,
    ce_time: now.toISOString(),
    'content-type': 'application/json',
  };
  if (event.subject) headers.ce_subject = event.subject;
  return { topic: entry.topic, key: event.key, headers, value: event.json ?? JSON.stringify(event.data) };
}

export interface DecodedEvent {
  id: string;
  source: string;
  type: EventType;
  time: string;
  subject?: string;
  data: unknown;
}

/** Validates attributes and data; throws InvalidEventError with the reason (→ DLQ). */
export function decodeEvent(headers: Record<string, string | undefined>, value: string | null): DecodedEvent {
  const type = headers.ce_type;
  if (headers.ce_specversion !== '1.0')
    throw new InvalidEventError('not a CloudEvents 1.0 event (ce_specversion)');
  if (!headers.ce_id) throw new InvalidEventError('missing ce_id');
  if (!type || !isEventType(type))
    throw new InvalidEventError(`unknown ce_type ${JSON.stringify(type ?? null)}`);
  if (value === null) throw new InvalidEventError('empty message value');
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new InvalidEventError('message value is not JSON');
  }
  const parsed = EventCatalog[type].schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new InvalidEventError(
      `${type} data does not match its schema: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return {
    id: headers.ce_id,
    source: headers.ce_source ?? '',
    type,
    time: headers.ce_time ?? '',
    subject: headers.ce_subject,
    data: parsed.data,
  };
}
