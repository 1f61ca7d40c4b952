import { Topics } from '@flywheel/contracts';
import topicsFile from '../../../../infra/kafka/topics.json';

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}

/** Topics from infra/kafka/topics.json, the single list both the broker setup and the bus use. */
export function topicSpecs(): TopicSpec[] {
  return topicsFile.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions ?? topicsFile.defaults.partitions,
    replicationFactor: topicsFile.defaults.replicationFactor,
    // every value in topics.json is a string; TypeScript types the file's configs as a union of
    // object literals (keys one topic lacks are `?: undefined`), which is not a Record
    config: (t.config ?? {}) as Record<string, string>,
  }));
}

export function partitionCount(topic: string): number {
  return topicSpecs().find((t) => t.name === topic)?.partitions ?? topicsFile.defaults.partitions;
}

export const DLQ_TOPIC = Topics.dlq;
