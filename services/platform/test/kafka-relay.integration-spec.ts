import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@flywheel/contracts';
import { Registry } from 'prom-client';
import { KafkaEventBus } from '../src/bus/kafka-bus';
import type { IncomingEvent } from '../src/bus/event-bus';
import { sampleFeedback } from '../src/testing/bus-contract';
import { expectEventually } from '../src/testing/expect-eventually';
import { rawKafka } from './kafka-test-kit';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers)
  throw new Error('KAFKA_BROKERS is not set: the integration globalSetup starts Kafka and sets it');

/**
 * The relay cannot wedge: an event Kafka refuses for good is moved out of the way and what
 * comes after it is delivered (issue #12, first reproduction), on the real broker of globalSetup
 * (max.message.bytes at Kafka's default, 1,048,588).
 */
describe('Kafka relay: an oversized event does not block the ones behind it', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a 1.1 MB event followed by a small one: the small one is delivered, the big one is in the DLQ with its reason', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'relay-oversized-'));
    dirs.push(spoolDir);
    const registry = new Registry();
    const bus = await KafkaEventBus.create({ brokers, source: 'relay-test', spoolDir, registry });
    const raw = await rawKafka(brokers);
    const prefix = `big-${randomUUID().slice(0, 8)}`;
    const started = Date.now();

    const big = await bus.publish({
      type: 'dev.flywheel.feedback.v1',
      key: `${prefix}-a`,
      // feedback events keep unknown fields: 1.1 MB of them
      data: { ...sampleFeedback(`${prefix}-big`), attachment: 'x'.repeat(1_100_000) },
    });
    await bus.publish({
      type: 'dev.flywheel.feedback.v1',
      key: `${prefix}-a`,
      data: sampleFeedback(`${prefix}-small`),
    });

    const seen: string[] = [];
    const sub = await bus.subscribe({
      group: `relay-test-${randomUUID()}`,
      topics: [Topics.feedback],
      handler: async (e: IncomingEvent) => {
        if (e.type === 'dev.flywheel.feedback.v1' && e.key.startsWith(prefix))
          seen.push(e.data.interaction_id);
      },
    });
    await bus.flush(60_000);
    await expectEventually(() => expect(seen).toEqual([`${prefix}-small`]), { timeoutMs: 60_000 });

    await expectEventually(
      async () => expect((await raw.deadLetters()).filter((d) => d.key === `${prefix}-a`)).toHaveLength(1),
      { timeoutMs: 60_000 },
    );
    const [dead] = (await raw.deadLetters()).filter((d) => d.key === `${prefix}-a`);
    expect(dead!.headers).toMatchObject({
      ce_id: big.id,
      flywheel_stage: 'relay',
      flywheel_source_topic: Topics.feedback,
      flywheel_payload: 'reference',
    });
    expect(dead!.headers.flywheel_error).toMatch(
      /^message_too_large: \d+ bytes, over the broker's limit of 1048588 bytes/,
    );
    const reference = JSON.parse(dead!.value!) as Record<string, unknown>;
    expect(reference).toMatchObject({
      id: big.id,
      topic: Topics.feedback,
      key: `${prefix}-a`,
      limit_bytes: expect.any(Number),
    });
    expect(reference.size_bytes).toBeGreaterThan(1_100_000);
    // the payload itself is in the local dead-letter file the reference names
    const file = join(spoolDir, 'dead-letters.jsonl');
    expect(String(reference.file)).toContain(file);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { headers: Record<string, string>; value: string });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.headers.ce_id).toBe(big.id);
    expect(lines[0]!.value.length).toBeGreaterThan(1_100_000);

    await expectEventually(
      async () => expect(bus.stats()).toMatchObject({ spoolDepth: 0, deadLettered: 1, relayed: 1 }),
      { timeoutMs: 10_000 },
    );
    expect(await registry.metrics()).toMatch(
      /flywheel_bus_relay_dead_lettered_total\{reason="message_too_large",destination="kafka"\} 1/,
    );
    console.log(
      `oversized test: delivered ${seen.length}, dead-lettered ${bus.stats().deadLettered}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    await sub.stop();
    await raw.close();
    await bus.close();
  }, 180_000);
});
