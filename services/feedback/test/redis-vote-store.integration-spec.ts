import { RedisKeyValueStore } from '@flywheel/platform';
import { RedisVoteStore } from '../src/feedback/redis-vote-store';
import { describeVoteStoreContract } from '../src/feedback/vote-store.contract';
import { requireInfra } from './feedback-test-kit';

const { REDIS_URL } = requireInfra();

describeVoteStoreContract('redis (two connections)', async () => {
  const [one, two] = await Promise.all([
    RedisKeyValueStore.connect(REDIS_URL),
    RedisKeyValueStore.connect(REDIS_URL),
  ]);
  return {
    stores: [new RedisVoteStore(one.client), new RedisVoteStore(two.client)],
    close: async () => {
      await Promise.all([one.close(), two.close()]);
    },
  };
});
