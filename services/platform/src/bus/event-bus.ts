import type { EventData, EventType, Topic } from '@flywheel/contracts';

/** What a publisher hands the bus. */
export interface OutgoingEvent<T extends EventType = EventType> {
  type: T;
  /** partition key: events with the same key keep their order */
  key: string;
  data: EventData<T>;
  /** CloudEvents `id`; generated when absent. Consumers dedupe on it. */
  id?: string;
  /** CloudEvents `subject` */
  subject?: string;
  /**
   * `JSON.stringify(data)`, when the publisher already has it (the gateway measures its events'
   * size on it). The bus then publishes this text as it is and skips its own schema check: for
   * publishers whose data is built by typed code and checked against the schema in their tests;
   * consumers validate at their boundary either way.
   */
  json?: string;
}

interface DeliveryMeta {
  /** CloudEvents id */
  id: string;
  source: string;
  time: string;
  subject?: string;
  key: string;
  topic: string;
  partition: number;
  offset: string;
  /** 1 on first delivery to this handler, +1 per redelivery after a handler failure */
  attempt: number;
}

/** A delivered event: a union discriminated by `type`, `data` already validated. */
export type IncomingEvent = { [T in EventType]: DeliveryMeta & { type: T; data: EventData<T> } }[EventType];

export type EventHandler = (event: IncomingEvent) => Promise<void>;

/**
 * Handles the valid events of one fetched batch of one partition, in order, all or nothing (e.g.
 * one database transaction). When it throws, the bus hands the same events to `handler` one at a
 * time with the usual retry and DLQ policy, so a batch handler needs no error handling of its own.
 */
export type BatchEventHandler = (events: IncomingEvent[]) => Promise<void>;

export interface SubscribeOptions {
  /** consumer group: each group sees every event once (at least once), committed after `handler` succeeds */
  group: string;
  topics: Topic[];
  handler: EventHandler;
  /**
   * Kafka: when set, each fetched batch (up to `batchMaxEvents` events of one partition) goes to
   * this handler at once and its offsets are committed after it resolved; if it throws, the
   * batch's events go through `handler` one by one. The embedded bus uses `handler` only.
   */
  batchHandler?: BatchEventHandler;
  /** the most events given to `batchHandler` at once (default 500) */
  batchMaxEvents?: number;
  /** a group with no committed offset starts at the beginning (default true) */
  fromBeginning?: boolean;
  /** attempts for a handler error that is neither Retryable nor Unrecoverable before the event goes to the DLQ (default 5) */
  maxAttempts?: number;
  /** first redelivery delay; doubles up to 5 s (default 100 ms) */
  retryBaseMs?: number;
  /**
   * Kafka: how many partitions this process handles at the same time (default 3). Order is
   * kept per partition either way; more lanes let one topic's events pass another's backlog.
   */
  partitionsConcurrently?: number;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface PublishReceipt {
  id: string;
}

export interface BusStats {
  /** events accepted by publish() and not yet handed to the broker */
  spoolDepth: number;
  /** bytes those events take on disk */
  spoolBytes: number;
  /** age of the oldest undelivered event, 0 when the spool is empty */
  relayLagMs: number;
  published: number;
  relayed: number;
  /** Kafka: events the broker refused for good, moved to the DLQ topic or the dead-letter file */
  deadLettered: number;
  /** embedded: events dropped unread because nothing in this process consumes their topic */
  dropped: number;
}

export interface EventBus {
  readonly kind: 'kafka' | 'embedded';
  /**
   * Resolves once the event is durable locally (spool fsync'd) or, for the embedded bus, in the
   * in-process log. Never waits for the broker. Throws InvalidEventError for data that fails its
   * schema and SpoolFullError when the spool is at its size bound.
   */
  publish<T extends EventType>(event: OutgoingEvent<T>): Promise<PublishReceipt>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Resolves once everything published so far has reached the broker (or rejects after timeoutMs). */
  flush(timeoutMs?: number): Promise<void>;
  stats(): BusStats;
  /** Throws when the broker is unreachable (readiness); publishing still works meanwhile. */
  ping(): Promise<void>;
  /** Stops consumers, drains the spool for up to `drainMs` (default 5 s), then disconnects. */
  close(drainMs?: number): Promise<void>;
}
