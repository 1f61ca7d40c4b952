import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Topics } from '@flywheel/contracts';
import { Registry } from 'prom-client';
import { describeEventBusContract, sampleFeedback } from '../testing/bus-contract';
import { expectEventually } from '../testing/expect-eventually';
import { EmbeddedEventBus } from './embedded-bus';

describeEventBusContract(
  'embedded',
  async () => {
    const bus = new EmbeddedEventBus('contract-test');
    return {
      bus,
      injectRaw: async (topic, key, headers, value) => bus.appendRaw(topic, key, headers, value),
      deadLetters: async () => bus.deadLetters(),
      close: () => bus.close(),
    };
  },
  5_000,
);

describe('EmbeddedEventBus memory bound', () => {
  const publish = (bus: EmbeddedEventBus, n: number, prefix = 'k') =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        bus.publish({
          type: 'dev.flywheel.feedback.v1',
          key: `${prefix}-${i % 97}`,
          data: sampleFeedback(`${prefix}-${i}`, i + 1),
        }),
      ),
    );

  it('keeps only the last window of a topic nobody consumes, counts the drop and exports it', async () => {
    const registry = new Registry();
    const bus = new EmbeddedEventBus('bound-test', registry, { unconsumedWindow: 600 });
    await publish(bus, 20_000);
    // 600 over 6 partitions: at most 100 per partition
    expect(bus.retained(Topics.feedback)).toBeLessThanOrEqual(600);
    expect(bus.retained(Topics.feedback)).toBeGreaterThan(500);
    expect(bus.stats()).toMatchObject({ published: 20_000 });
    expect(bus.stats().dropped).toBe(20_000 - bus.retained(Topics.feedback));
    expect(await registry.metrics()).toMatch(
      new RegExp(
        `flywheel_bus_embedded_dropped_total\\{topic="${Topics.feedback.replaceAll('.', '\\.')}"\\} ${bus.stats().dropped}`,
      ),
    );
    await bus.close();
  });

  it('lets go of a dropped event at once, not at the next compaction of its partition', async () => {
    // Measured on the heap after full GCs: 3,000 events of 16 KB (48 MB) to a topic nobody reads,
    // keeping one per partition. Holding the dropped ones until a partition's log compacted (past
    // 1,024 per partition) kept all 48 MB here, and a gateway's events long enough to be promoted.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const bus = new EmbeddedEventBus('bound-test', new Registry(), { unconsumedWindow: 0 });
    gc();
    const before = process.memoryUsage().heapUsed;
    const pad = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 3_000; i++)
      await bus.publish({
        type: 'dev.flywheel.feedback.v1',
        key: `drop-${i}`,
        data: sampleFeedback(`drop-${i}`, 1),
        json: `{"n":${i},"pad":"${pad}"}`,
      });
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(bus.retained(Topics.feedback)).toBeLessThanOrEqual(6);
    expect(bus.stats().dropped).toBe(3_000 - bus.retained(Topics.feedback));
    expect(grown).toBeLessThan(8 * 1024 * 1024);
    await bus.close();
  });

  it('frees what every subscription has consumed, and a late group still gets the window', async () => {
    const bus = new EmbeddedEventBus('bound-test', new Registry(), { unconsumedWindow: 600 });
    const seen = new Set<string>();
    const sub = await bus.subscribe({
      group: 'reader',
      topics: [Topics.feedback],
      handler: async (e) => {
        if (e.type === 'dev.flywheel.feedback.v1') seen.add(e.data.interaction_id);
      },
    });
    await publish(bus, 20_000, 'live');
    await expectEventually(() => expect(seen.size).toBe(20_000), { timeoutMs: 30_000 });
    // everything was read by the only subscriber: nothing kept, nothing dropped unread
    expect(bus.retained(Topics.feedback)).toBe(0);
    expect(bus.stats().dropped).toBe(0);
    await sub.stop();

    await publish(bus, 100, 'after');
    const late = new Set<string>();
    const sub2 = await bus.subscribe({
      group: 'late',
      topics: [Topics.feedback],
      handler: async (e) => {
        if (e.type === 'dev.flywheel.feedback.v1') late.add(e.data.interaction_id);
      },
    });
    await expectEventually(() => expect(late.size).toBe(100), { timeoutMs: 10_000 });
    await sub2.stop();
    await bus.close();
  });

  it('holds events a slow subscriber has not read yet, whatever the window', async () => {
    const bus = new EmbeddedEventBus('bound-test', new Registry(), { unconsumedWindow: 6 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen = new Set<string>();
    const sub = await bus.subscribe({
      group: 'slow',
      topics: [Topics.feedback],
      handler: async (e) => {
        await gate;
        if (e.type === 'dev.flywheel.feedback.v1') seen.add(e.data.interaction_id);
      },
    });
    await publish(bus, 1_000, 'slow');
    expect(bus.stats().dropped).toBe(0);
    release();
    await expectEventually(() => expect(seen.size).toBe(1_000), { timeoutMs: 10_000 });
    expect(bus.retained(Topics.feedback)).toBe(0);
    await sub.stop();
    await bus.close();
  });
});
