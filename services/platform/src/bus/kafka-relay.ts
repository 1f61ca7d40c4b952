import type { Admin, Producer } from 'kafkajs';
import type { Counter } from 'prom-client';
import type { Clock } from '../clock';
import { getProcessLogger } from '../telemetry/logger';
import type { EncodedEvent } from './cloud-event';
import type { DeadLetterDestination, DeadLetters } from './kafka-dlq';
import type { Spool, SpooledEvent, SpoolRecord } from './spool';
import { loadKafkajs } from './load-kafkajs';
import { DLQ_TOPIC, topicSpecs } from './topics';

export interface RelayOptions {
  /** send once this many events are pending… (default 500) */
  batchMaxEvents?: number;
  /** …and never more than this many bytes in one send (default 4 MiB; always below the broker's limit) */
  batchMaxBytes?: number;
  /** …or once the oldest pending event has waited this long (default 5 ms) */
  lingerMs?: number;
  /**
   * The largest record the broker takes. Default: read from the broker (`max.message.bytes` of
   * each topic, through describeConfigs); when it cannot be read, 1,000,000 (under Kafka's
   * default 1,048,588).
   */
  maxMessageBytes?: number;
  /** ping() (readiness) fails once the oldest undelivered event is older than this (default 60 s) */
  stuckAfterMs?: number;
}

/** What the relay needs of the Kafka client (kafka-bus.ts owns the client). */
export interface RelayTransport {
  producer(): Promise<Producer>;
  /** drops the producer (a failed one may hold a stale idempotence epoch or dead connections) */
  resetProducer(): Promise<void>;
  ensureTopics(): Promise<void>;
  withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T>;
}

/** kafkajs protocol errors that no retry can fix: the event is moved out of the way. */
const REFUSALS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
]);
/** Record batch header (61 bytes) plus slack for varints: what a one-record batch adds. */
const BATCH_OVERHEAD = 128;
const FALLBACK_MAX_MESSAGE_BYTES = 1_000_000;

/**
 * Drains the spool to Kafka (spool → producer). The spool is acknowledged only after Kafka has
 * a batch, strictly from its head, so events keep their order (per key and overall) and
 * nothing is skipped:
 * - batches are bounded by count and by bytes, below the broker's per-batch limit;
 * - an event over the broker's limit, or one Kafka refuses for good (invalid topic, invalid
 *   record), goes to the dead letters (see DeadLetters) and the relay goes on with the next;
 *   a refused batch is sent again one event at a time to find the culprit;
 * - anything else (broker down, leader moving, timeouts) is retried with exponential backoff
 *   and jitter, the same batch from the same head.
 */
export class KafkaRelay {
  private running: Promise<void> | null = null;
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private sleepTimer: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private limits: Map<string, number> | null = null;
  private relayed = 0;
  private deadLettered = 0;
  private lastError: string | null = null;
  private cursorErrorLogged = false;
  private readonly batchMaxEvents: number;
  private readonly batchMaxBytes: number;
  private readonly lingerMs: number;
  private readonly stuckAfterMs: number;

  constructor(
    private readonly spool: Spool,
    private readonly transport: RelayTransport,
    private readonly deadLetters: DeadLetters,
    private readonly deadLetterCounter: Counter<'reason' | 'destination'>,
    private readonly clock: Clock,
    private readonly options: RelayOptions = {},
  ) {
    this.batchMaxEvents = options.batchMaxEvents ?? 500;
    this.batchMaxBytes = options.batchMaxBytes ?? 4 * 1024 * 1024;
    this.lingerMs = options.lingerMs ?? 5;
    this.stuckAfterMs = options.stuckAfterMs ?? 60_000;
  }

  start(): void {
    this.spool.onAppend(() => this.wake());
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    if (this.sleepTimer) {
      clearTimeout(this.sleepTimer.timer);
      this.sleepTimer.resolve();
    }
    await this.running;
  }

  get relayedTotal(): number {
    return this.relayed;
  }

  get deadLetteredTotal(): number {
    return this.deadLettered;
  }

  get lastRelayError(): string | null {
    return this.lastError;
  }

  /** Why the relay counts as stuck (for readiness), or null. */
  stuck(): string | null {
    const oldest = this.spool.oldestTs;
    if (oldest === null) return null;
    const age = this.clock.now() - oldest;
    if (age <= this.stuckAfterMs) return null;
    return (
      `event relay stuck: ${this.spool.depth} events (${this.spool.bytes} bytes) not delivered to Kafka, ` +
      `the oldest for ${Math.round(age / 1000)} s${this.lastError ? `; last error: ${this.lastError}` : ''}`
    );
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    /** after a refused batch: send one event at a time until the refused one is found */
    let isolate = false;
    while (!this.stopping) {
      if (this.spool.peek(1).length === 0) {
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        continue;
      }
      const oldest = this.spool.oldestTs ?? this.clock.now();
      const wait = oldest + this.lingerMs - this.clock.now();
      if (wait > 0 && this.spool.peek(this.batchMaxEvents).length < this.batchMaxEvents)
        await this.sleep(wait);
      try {
        await this.transport.ensureTopics();
        const limits = await this.topicLimits();
        const batch = this.nextBatch(isolate ? 1 : this.batchMaxEvents, limits);
        if (batch.length === 0) continue;
        const head = batch[0]!;
        const headLimit = limits.get(head.record.event.topic) ?? this.fallbackLimit();
        if (head.size + BATCH_OVERHEAD > headLimit) {
          await this.refuse(
            head.record,
            `message_too_large: ${head.size} bytes, over the broker's limit of ${headLimit} bytes (max.message.bytes of ${head.record.event.topic})`,
            head.size,
            limits,
          );
          continue;
        }
        const producer = await this.transport.producer();
        try {
          await producer.sendBatch({ acks: -1, topicMessages: byTopic(batch.map((b) => b.record.event)) });
        } catch (err) {
          const refusal = refusalOf(err);
          if (refusal === null) throw err;
          if (batch.length > 1) {
            isolate = true;
            continue;
          }
          await this.refuse(head.record, `${refusal.toLowerCase()}: ${errorMessage(err)}`, head.size, limits);
          isolate = false;
          continue;
        }
        // Kafka has the batch: count it and move on. Saving the spool's position (a file write and
        // fsync) runs alongside the next send; if the process dies first, the batch is sent again.
        this.relayed += batch.length;
        this.spool.ack(batch.length).catch((err: unknown) => {
          if (this.cursorErrorLogged) return;
          this.cursorErrorLogged = true;
          log().warn(
            { error: errorMessage(err) },
            'event bus: could not save the relay position in the spool; delivered events may be sent again after a restart',
          );
        });
        isolate = false;
        if (failures > 0) log().warn({ spool_depth: this.spool.depth }, 'event bus: Kafka reachable again');
        failures = 0;
        this.lastError = null;
      } catch (err) {
        failures++;
        this.lastError = errorMessage(err);
        if (failures === 1) {
          log().warn(
            { error: this.lastError },
            'event bus: Kafka unreachable; events stay in the spool and are retried',
          );
        }
        this.limits = null;
        await this.transport.resetProducer();
        // exponential backoff with full jitter in [50 %, 100 %], capped at 5 s
        if (!this.stopping)
          await this.sleep(Math.min(5_000, 100 * 2 ** Math.min(failures - 1, 6)) * (0.5 + Math.random() / 2));
      }
    }
  }

  /** The head of the spool: at most `maxEvents`, under the byte bound and every topic's limit. */
  private nextBatch(maxEvents: number, limits: Map<string, number>): { record: SpoolRecord; size: number }[] {
    const out: { record: SpoolRecord; size: number }[] = [];
    let bytes = BATCH_OVERHEAD;
    let bound = this.batchMaxBytes;
    for (const record of this.spool.peek(maxEvents)) {
      const size = recordSize(record.event);
      bound = Math.min(bound, limits.get(record.event.topic) ?? this.fallbackLimit());
      if (out.length > 0 && bytes + size > bound) break;
      out.push({ record, size });
      bytes += size;
    }
    return out;
  }

  /** Moves the head record to the dead letters and acknowledges it in the spool. */
  private async refuse(
    record: SpoolRecord,
    reason: string,
    size: number,
    limits: Map<string, number>,
  ): Promise<void> {
    const dlqLimit = (limits.get(DLQ_TOPIC) ?? this.fallbackLimit()) - BATCH_OVERHEAD - 1024;
    const destination: DeadLetterDestination = await this.deadLetters.fromRelay(
      { ...record.event, value: record.event.value.toString('utf8') },
      reason,
      size,
      dlqLimit,
    );
    await this.spool.ack(1);
    this.deadLettered++;
    this.deadLetterCounter.inc({ reason: reason.slice(0, reason.indexOf(':')), destination });
    log().error(
      {
        id: record.event.headers.ce_id,
        type: record.event.headers.ce_type,
        topic: record.event.topic,
        size_bytes: size,
        reason,
        destination: destination === 'file' ? this.deadLetters.file : DLQ_TOPIC,
      },
      'event bus: Kafka refused an event for good; moved it to the dead letters and went on',
    );
  }

  private fallbackLimit(): number {
    return this.options.maxMessageBytes ?? FALLBACK_MAX_MESSAGE_BYTES;
  }

  /** `max.message.bytes` per topic, from config or the broker (read once per connection). */
  private async topicLimits(): Promise<Map<string, number>> {
    if (this.limits) return this.limits;
    const names = topicSpecs().map((t) => t.name);
    const limits = new Map<string, number>();
    if (this.options.maxMessageBytes !== undefined) {
      for (const n of names) limits.set(n, this.options.maxMessageBytes);
    } else {
      try {
        const { ConfigResourceTypes } = await loadKafkajs();
        const described = await this.transport.withAdmin((admin) =>
          admin.describeConfigs({
            includeSynonyms: false,
            resources: names.map((name) => ({
              type: ConfigResourceTypes.TOPIC,
              name,
              configNames: ['max.message.bytes'],
            })),
          }),
        );
        for (const r of described.resources) {
          const v = Number(r.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
          if (Number.isFinite(v) && v > 0) limits.set(r.resourceName, v);
        }
      } catch (err) {
        log().warn(
          { error: errorMessage(err), fallback_bytes: FALLBACK_MAX_MESSAGE_BYTES },
          "event bus: could not read the topics' max.message.bytes; assuming the fallback",
        );
      }
    }
    this.limits = limits;
    return limits;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.sleepTimer = {
        timer: setTimeout(() => {
          this.sleepTimer = null;
          resolve();
        }, ms),
        resolve,
      };
    });
  }
}

/** Bytes the record takes in a Kafka record batch (uncompressed), a little over rather than under. */
export function recordSize(event: EncodedEvent | SpooledEvent): number {
  let n = 32 + Buffer.byteLength(event.key) + Buffer.byteLength(event.value);
  // for…in, not Object.entries: no array per header, for every record of every batch
  for (const k in event.headers) n += 10 + Buffer.byteLength(k) + Buffer.byteLength(event.headers[k]!);
  return n;
}

function byTopic(events: SpooledEvent[]) {
  const topics = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
  for (const e of events) {
    const list = topics.get(e.topic) ?? [];
    list.push({ key: e.key, value: e.value, headers: e.headers });
    topics.set(e.topic, list);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

/** The kafkajs protocol error type when `err` (or what it wraps) is a permanent refusal. */
export function refusalOf(err: unknown, depth = 0): string | null {
  if (!err || typeof err !== 'object' || depth > 5) return null;
  const e = err as { type?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.type === 'string' && REFUSALS.has(e.type)) return e.type;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const r = refusalOf(inner, depth + 1);
      if (r) return r;
    }
  }
  return e.cause && e.cause !== err ? refusalOf(e.cause, depth + 1) : null;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const log = () => getProcessLogger('flywheel');
