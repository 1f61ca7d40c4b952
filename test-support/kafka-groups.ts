import { ensureTopics } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { Kafka, logLevel } from 'kafkajs';

/**
 * Commits a new consumer group's starting offsets before its first member joins: at the topics'
 * current end, or at the first event at or after `at` (ms since the epoch).
 *
 * Services subscribe a new group from the beginning of each topic. On the broker every suite of
 * the run shares, a test's curator in a fresh group would first work through whatever all the
 * earlier files published (thousands of events, each a Postgres transaction): minutes late in a
 * run, and the reason timing-bound waits after it were flaky. Tests that publish their own
 * events start the group at the end; a replay test starts it where its own events begin.
 */
export async function startGroupAt(
  brokers: string,
  groupId: string,
  topics: readonly string[],
  at: 'end' | number = 'end',
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'test-group-start',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin);
    for (const topic of topics) {
      // right after the topics were created the broker may not know their leaders yet
      // (NOT_LEADER_OR_FOLLOWER), which kafkajs does not retry here
      const partitions = await expectEventually(
        async () =>
          at === 'end'
            ? (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => ({
                partition,
                offset: high,
              }))
            : await admin.fetchTopicOffsetsByTimestamp(topic, at),
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      await admin.setOffsets({ groupId, topic, partitions });
    }
  } finally {
    await admin.disconnect();
  }
}
