import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Topics } from '@flywheel/contracts';
import { ensureTopics } from '../src/bus/kafka-bus';
import type { DeadLetter } from '../src/testing/bus-contract';

/** Raw kafkajs access for tests: inject messages that bypass our producer, watch the DLQ. */
export async function rawKafka(brokers: string) {
  const kafka = new Kafka({ clientId: 'test-raw', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin);
  await admin.disconnect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const dead: DeadLetter[] = [];
  const consumer = kafka.consumer({ groupId: `test-dlq-watch-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.dlq, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = v?.toString();
      dead.push({ key: message.key?.toString() ?? '', headers, value: message.value?.toString() ?? null });
    },
  });
  return {
    inject: async (topic: string, key: string, headers: Record<string, string>, value: string | null) => {
      await producer.send({ topic, acks: -1, messages: [{ key, headers, value }] });
    },
    deadLetters: async () => [...dead],
    close: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
