import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaEventBus } from '../src/bus/kafka-bus';
import { describeEventBusContract } from '../src/testing/bus-contract';
import { rawKafka } from './kafka-test-kit';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers)
  throw new Error('KAFKA_BROKERS is not set: the integration globalSetup starts Kafka and sets it');

describeEventBusContract('kafka (real broker, through the spool)', async () => {
  const spoolDir = mkdtempSync(join(tmpdir(), 'bus-contract-'));
  const bus = await KafkaEventBus.create({ brokers, source: 'contract-test', spoolDir });
  const raw = await rawKafka(brokers);
  return {
    bus,
    injectRaw: raw.inject,
    deadLetters: raw.deadLetters,
    close: async () => {
      await bus.close();
      await raw.close();
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
});
