import { open } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { IHeaders, Producer } from 'kafkajs';
import type { Clock } from '../clock';
import type { EncodedEvent } from './cloud-event';
import { dlqHeaders, type RawMessage } from './delivery';
import { DLQ_TOPIC } from './topics';

/** Where a dead letter ended up. */
export type DeadLetterDestination = 'kafka' | 'file';

/**
 * Moves what can never be delivered out of the way, so nothing behind it waits:
 * - a consumer's poison message or failed handler → `flywheel.dlq.v1` with the reason;
 * - an event the broker refused for good at publish time (too large, invalid topic, refused
 *   record) → `flywheel.dlq.v1` with the reason, or, when the payload itself is over the
 *   broker's limit, the payload to the local dead-letter file and a reference (id, type, topic,
 *   key, size, limit, reason, file) to the DLQ topic; when Kafka refuses even that, the local
 *   file alone. The file is JSON lines, appended and fsync'd before the spool lets go.
 */
export class DeadLetters {
  constructor(
    private readonly producer: () => Promise<Producer>,
    /** the local dead-letter file (JSON lines) */
    readonly file: string,
    private readonly source: string,
    private readonly clock: Clock,
  ) {}

  /** A consumed message its handler could not take. */
  async fromConsumer(msg: RawMessage, group: string, reason: string): Promise<void> {
    await this.send({ key: msg.key, value: msg.value, headers: dlqHeaders(msg, group, reason) });
  }

  /**
   * An event the broker refused for good. `limitBytes` is the destination's size limit: a payload
   * over it goes to the file, only a reference to the topic.
   */
  async fromRelay(
    event: EncodedEvent,
    reason: string,
    sizeBytes: number,
    limitBytes: number,
  ): Promise<DeadLetterDestination> {
    const headers = {
      ...event.headers,
      flywheel_error: reason.slice(0, 2000),
      flywheel_source_topic: event.topic,
      flywheel_stage: 'relay',
      flywheel_relay_source: this.source,
      flywheel_size_bytes: String(sizeBytes),
    };
    const tooLarge = sizeBytes > limitBytes;
    if (tooLarge) await this.toFile(event, reason);
    const value = tooLarge
      ? JSON.stringify({
          dead_letter: 'payload_in_file',
          id: event.headers.ce_id,
          type: event.headers.ce_type,
          topic: event.topic,
          key: event.key,
          size_bytes: sizeBytes,
          limit_bytes: limitBytes,
          reason,
          file: `${hostname()}:${this.file}`,
        })
      : event.value;
    try {
      await this.send({
        key: event.key,
        value,
        headers: tooLarge ? { ...headers, flywheel_payload: 'reference' } : headers,
      });
      return 'kafka';
    } catch (err) {
      if (!tooLarge) await this.toFile(event, `${reason}; the DLQ topic refused it too: ${String(err)}`);
      return 'file';
    }
  }

  private async send(message: { key: string; value: string | null; headers: IHeaders }): Promise<void> {
    const producer = await this.producer();
    await producer.send({ topic: DLQ_TOPIC, acks: -1, messages: [message] });
  }

  private async toFile(event: EncodedEvent, reason: string): Promise<void> {
    const line = JSON.stringify({ at: new Date(this.clock.now()).toISOString(), reason, ...event }) + '\n';
    const fh = await open(this.file, 'a');
    try {
      await fh.writeFile(line);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }
}
