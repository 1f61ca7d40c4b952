import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleFeedback } from '../testing/bus-contract';
import { expectEventually } from '../testing/expect-eventually';
import { KafkaEventBus } from './kafka-bus';

/** A port nothing listens on: taken, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('KafkaEventBus readiness', () => {
  it('ping() names a stuck relay (depth, age, last error) once the oldest event waits past stuckAfterMs', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'bus-stuck-'));
    const bus = await KafkaEventBus.create({
      brokers: `127.0.0.1:${await deadPort()}`,
      source: 'stuck-test',
      spoolDir,
      stuckAfterMs: 1_000,
    });
    try {
      for (let i = 0; i < 3; i++) {
        await bus.publish({
          type: 'dev.flywheel.feedback.v1',
          key: `k${i}`,
          data: sampleFeedback(`stuck-${i}`),
        });
      }
      await expectEventually(
        () =>
          expect(bus.ping()).rejects.toThrow(
            /^event relay stuck: 3 events \(\d+ bytes\) not delivered to Kafka, the oldest for \d+ s; last error: .+/,
          ),
        { timeoutMs: 20_000 },
      );
    } finally {
      await bus.close(100);
      rmSync(spoolDir, { recursive: true, force: true });
    }
  }, 30_000);
});
