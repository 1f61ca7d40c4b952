import { ManualClock } from '@flywheel/platform';
import { MemoryVoteStore } from './memory-vote-store';
import { describeVoteStoreContract } from './vote-store.contract';

describeVoteStoreContract('memory', async () => {
  const clock = new ManualClock(Date.now());
  const store = new MemoryVoteStore(clock);
  return { stores: [store, store], advance: (ms) => clock.advance(ms), close: async () => undefined };
});
