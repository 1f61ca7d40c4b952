import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@flywheel/contracts';
import { startKafka, type KafkaBroker } from '../../../infra/local';
import { KafkaEventBus } from '../src/bus/kafka-bus';
import type { EventBus, IncomingEvent } from '../src/bus/event-bus';
import { sampleFeedback } from '../src/testing/bus-contract';
import { expectEventually } from '../src/testing/expect-eventually';

/**
 * Durability under failure, on a private broker this file may kill: a Kafka outage and a
 * publisher crash lose nothing that publish() acknowledged.
 */
describe('Kafka bus under failure', () => {
  let broker: KafkaBroker;
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'bus-faults-'));
    dirs.push(d);
    return d;
  };

  // a JVM start on a busy 2-core machine can take over a minute
  beforeAll(async () => {
    broker = await startKafka();
  }, 180_000);
  afterAll(async () => {
    await broker?.stop();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  /** Subscribes a fresh group and counts deliveries per event id for keys with `prefix`. */
  async function collect(bus: EventBus, prefix: string) {
    const seen = new Map<string, number>();
    const sub = await bus.subscribe({
      group: `faults-${randomUUID()}`,
      topics: [Topics.feedback],
      handler: async (e: IncomingEvent) => {
        if (e.type === 'dev.flywheel.feedback.v1' && e.key.startsWith(prefix))
          seen.set(e.data.interaction_id, (seen.get(e.data.interaction_id) ?? 0) + 1);
      },
    });
    return { seen, stop: () => sub.stop() };
  }

  it('loses nothing while Kafka is down: 1,000 events published during the outage all arrive after restart', async () => {
    const bus = await KafkaEventBus.create({ brokers: broker.brokers, source: 'faults', spoolDir: tmp() });
    const prefix = `outage-${randomUUID().slice(0, 8)}`;
    // Warm up: producer connected and topics created before the outage.
    await bus.publish({
      type: 'dev.flywheel.feedback.v1',
      key: `${prefix}-warm`,
      data: sampleFeedback(`${prefix}-warm`),
    });
    await bus.flush(30_000);

    await broker.kill();
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        bus.publish({
          type: 'dev.flywheel.feedback.v1',
          key: `${prefix}-${i % 37}`,
          data: sampleFeedback(`${prefix}-${i}`, i + 1),
        }),
      ),
    );
    expect(bus.stats().spoolDepth).toBe(1000);

    await broker.start();
    await bus.flush(60_000);
    expect(bus.stats()).toMatchObject({ spoolDepth: 0, spoolBytes: 0 });

    const { seen, stop } = await collect(bus, prefix);
    await expectEventually(() => expect(seen.size).toBe(1001), { timeoutMs: 60_000 });
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    console.log(
      `outage test: 1000 published while down, ${seen.size - 1} distinct delivered, ${duplicates} redelivered (at-least-once)`,
    );
    for (let i = 0; i < 1000; i++) expect(seen.has(`${prefix}-${i}`)).toBe(true);
    await stop();
    await bus.close();
  }, 180_000);

  it('delivers a backlog bigger than one request: 500 × 20 KB events published while Kafka is down all arrive after it comes back', async () => {
    const bus = await KafkaEventBus.create({
      brokers: broker.brokers,
      source: 'faults-backlog',
      spoolDir: tmp(),
    });
    const prefix = `backlog-${randomUUID().slice(0, 8)}`;
    await bus.publish({
      type: 'dev.flywheel.feedback.v1',
      key: `${prefix}-warm`,
      data: sampleFeedback(`${prefix}-warm`),
    });
    await bus.flush(30_000);

    await broker.kill();
    const pad = 'p'.repeat(20_000);
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        bus.publish({
          type: 'dev.flywheel.feedback.v1',
          key: `${prefix}-${i % 7}`,
          data: { ...sampleFeedback(`${prefix}-${i}`, i + 1), pad },
        }),
      ),
    );
    // 10 MB waiting: ten times the broker's 1 MiB request limit for one partition's batch
    expect(bus.stats()).toMatchObject({ spoolDepth: 500 });
    expect(bus.stats().spoolBytes).toBeGreaterThan(10_000_000);

    const started = Date.now();
    await broker.start();
    await bus.flush(120_000);
    const seconds = (Date.now() - started) / 1000;

    const { seen, stop } = await collect(bus, prefix);
    await expectEventually(() => expect(seen.size).toBe(501), { timeoutMs: 60_000 });
    for (let i = 0; i < 500; i++) expect(seen.has(`${prefix}-${i}`)).toBe(true);
    expect(bus.stats().deadLettered).toBe(0);
    console.log(
      `backlog test: 500 × 20 KB published while Kafka was down; delivered ${seen.size - 1}, dead-lettered ${bus.stats().deadLettered}, spool drained ${seconds.toFixed(1)} s after the broker restart began (its JVM start included)`,
    );
    await stop();
    await bus.close();
  }, 240_000);

  it('loses nothing when the publisher is SIGKILLed after publish() resolved: 500 events delivered after restart', async () => {
    const spoolDir = tmp();
    const prefix = `crash-${randomUUID().slice(0, 8)}`;
    await broker.kill(); // the spool must hold them: nothing may reach Kafka before the crash

    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(__dirname, 'fixtures', 'spool-publisher.ts'),
        broker.brokers,
        spoolDir,
        '500',
        prefix,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: join(__dirname, '..', '..', '..') },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    await expectEventually(() => expect(out).toContain('PUBLISHED 500'), { timeoutMs: 60_000 });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const bus = await KafkaEventBus.create({ brokers: broker.brokers, source: 'faults-restarted', spoolDir });
    expect(bus.stats().spoolDepth).toBe(500);
    await broker.start();
    await bus.flush(60_000);

    const { seen, stop } = await collect(bus, prefix);
    await expectEventually(() => expect(seen.size).toBe(500), { timeoutMs: 60_000 });
    for (let i = 0; i < 500; i++) expect(seen.has(`${prefix}-${i}`)).toBe(true);
    await stop();
    await bus.close();
  }, 180_000);
});
