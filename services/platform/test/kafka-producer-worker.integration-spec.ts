import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@flywheel/contracts';
import { KafkaEventBus } from '../src/bus/kafka-bus';
import type { IncomingEvent } from '../src/bus/event-bus';
import { sampleFeedback } from '../src/testing/bus-contract';
import { expectEventually } from '../src/testing/expect-eventually';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers)
  throw new Error('KAFKA_BROKERS is not set: the integration globalSetup starts Kafka and sets it');

const EVENTS = 5_000;
const KEYS = 40;
/** ~2 KB values, like the gateway's interaction events */
const PAD = 'p'.repeat(1_800);
/** events of ~1,040,000 bytes: each alone in its batch, just under Kafka's default max.message.bytes (1,048,588) */
const NEAR_LIMIT_AT = new Set([1_000, 2_500, 4_000]);
const NEAR_LIMIT_PAD = 'n'.repeat(1_040_000);
const KILLS = 6;

/**
 * The relay's producer runs in a worker thread (kafka-producer-thread.ts). Killing that worker
 * while events are being published and relayed loses nothing and reorders nothing: the batch in
 * flight fails, the relay sends it again from the spool's head through a new worker. Delivery is
 * at-least-once, so a batch Kafka already had when its worker died may arrive twice: duplicates
 * are allowed, but each key's events must first arrive in the order they were published, all of them.
 */
describe('Kafka relay: the producer worker dies mid-stream', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it(`${EVENTS} events of ~2 KB (and 3 near max.message.bytes) on ${KEYS} keys arrive, each key in order, through ${KILLS} worker deaths`, async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'relay-worker-'));
    dirs.push(spoolDir);
    const bus = await KafkaEventBus.create({ brokers, source: 'relay-worker-test', spoolDir });
    const prefix = `rw-${randomUUID().slice(0, 8)}`;
    const received = new Map<string, number[]>();
    let deliveries = 0;
    const sub = await bus.subscribe({
      group: `relay-worker-test-${randomUUID()}`,
      topics: [Topics.feedback],
      handler: async (e: IncomingEvent) => {
        if (e.type !== 'dev.flywheel.feedback.v1' || !e.key.startsWith(prefix)) return;
        const list = received.get(e.key) ?? [];
        list.push(Number(e.data.interaction_id.slice(prefix.length + 1)));
        received.set(e.key, list);
        deliveries++;
      },
    });
    const keyOf = (i: number) => `${prefix}-k${i % KEYS}`;
    try {
      // Kill k happens before event `gates[k].at` is published (publishers wait at the gate until it
      // opens) and once the relay delivered more since the previous kill: always mid-stream, with the
      // worker busy on the spool's backlog.
      const gates = Array.from({ length: KILLS }, (_, k) => {
        let open = () => {};
        const opened = new Promise<void>((r) => (open = r));
        return { at: Math.round(((k + 1) * EVENTS) / (KILLS + 1)), opened, open };
      });
      let published = 0;
      const publishing = (async () => {
        // 8 publishes in flight, so the spool keeps a backlog for the relay while the worker dies
        let next = 0;
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (next < EVENTS) {
              const i = next++;
              for (const gate of gates) if (i >= gate.at) await gate.opened;
              const pad = NEAR_LIMIT_AT.has(i) ? NEAR_LIMIT_PAD : PAD;
              await bus.publish({
                type: 'dev.flywheel.feedback.v1',
                key: keyOf(i),
                // feedback events keep unknown fields (the padding)
                data: { ...sampleFeedback(`${prefix}-${i}`), pad },
              });
              published++;
            }
          }),
        );
      })();

      // alternately from outside (terminate, as an out-of-memory kill) and by an uncaught error inside
      const killedAt: number[] = [];
      let relayed = 0;
      for (const [k, gate] of gates.entries()) {
        await expectEventually(
          () => {
            expect(published).toBeGreaterThanOrEqual(gate.at - 200);
            expect(bus.stats().relayed).toBeGreaterThan(relayed);
          },
          { timeoutMs: 60_000 },
        );
        await bus.producerThread.kill(k % 2 === 0 ? 'terminate' : 'crash');
        killedAt.push(published);
        relayed = bus.stats().relayed;
        gate.open();
      }
      await publishing;

      await bus.flush(120_000);
      await expectEventually(
        () => {
          expect(received.size).toBe(KEYS);
          for (const list of received.values()) expect(new Set(list).size).toBe(EVENTS / KEYS);
        },
        { timeoutMs: 120_000 },
      );

      for (let k = 0; k < KEYS; k++) {
        const list = received.get(keyOf(k))!;
        const expected = Array.from({ length: EVENTS / KEYS }, (_, j) => k + j * KEYS);
        // first arrivals, in publishing order and complete; a repeat of one already seen is at-least-once
        const first = [...new Set(list)];
        expect(first).toEqual(expected);
      }
      expect(bus.stats()).toMatchObject({ spoolDepth: 0, deadLettered: 0, published: EVENTS });
      expect(bus.producerThread.starts).toBe(KILLS + 1);
      console.log(
        `producer worker killed ${KILLS}× (after ${killedAt.join(', ')} of ${EVENTS} publishes): ` +
          `${deliveries} deliveries, ${deliveries - EVENTS} duplicates`,
      );
    } finally {
      await sub.stop();
      await bus.close();
    }
  }, 300_000);

  it("a broker's refusal crosses the thread as kafkajs gave it: the event goes to the dead letters, the next is delivered", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-worker-refusal-'));
    dirs.push(dir);
    // a configured limit above the broker's (1,048,588): the relay sends the 1.1 MB event and the
    // broker, not the relay, refuses it (MESSAGE_TOO_LARGE, wrapped by kafkajs's retrier)
    const bus = await KafkaEventBus.create({
      brokers,
      source: 'relay-worker-test',
      spoolDir: dir,
      maxMessageBytes: 4_000_000,
    });
    const prefix = `rw-refused-${randomUUID().slice(0, 8)}`;
    const seen: string[] = [];
    const sub = await bus.subscribe({
      group: `relay-worker-test-${randomUUID()}`,
      topics: [Topics.feedback],
      handler: async (e: IncomingEvent) => {
        if (e.type === 'dev.flywheel.feedback.v1' && e.key.startsWith(prefix))
          seen.push(e.data.interaction_id);
      },
    });
    try {
      const big = await bus.publish({
        type: 'dev.flywheel.feedback.v1',
        key: `${prefix}-a`,
        data: { ...sampleFeedback(`${prefix}-big`), attachment: 'x'.repeat(1_100_000) },
      });
      await bus.publish({
        type: 'dev.flywheel.feedback.v1',
        key: `${prefix}-a`,
        data: sampleFeedback(`${prefix}-small`),
      });
      await bus.flush(60_000);
      await expectEventually(() => expect(seen).toEqual([`${prefix}-small`]), { timeoutMs: 60_000 });
      expect(bus.stats()).toMatchObject({ deadLettered: 1, relayed: 1 });
      // over the DLQ topic's limit too: the payload is in the local file, with the broker's reason
      const [line] = readFileSync(join(dir, 'dead-letters.jsonl'), 'utf8').trim().split('\n');
      const dead = JSON.parse(line!) as { reason: string; headers: Record<string, string> };
      expect(dead.headers.ce_id).toBe(big.id);
      expect(dead.reason).toMatch(/^message_too_large: .*(too large|larger than)/i);
    } finally {
      await sub.stop();
      await bus.close();
    }
  }, 180_000);
});
