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
    // TypeScript types the file's configs as a union of object literals in which the keys one
    // topic lacks are `?: undefined`: keep the entries that are set
    config: Object.fromEntries(
      Object.entries(t.config ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
    ),
  }));
}

export function partitionCount(topic: string): number {
  return topicSpecs().find((t) => t.name === topic)?.partitions ?? topicsFile.defaults.partitions;
}

export const DLQ_TOPIC = Topics.dlq;
