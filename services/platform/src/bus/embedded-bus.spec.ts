import { describeEventBusContract } from '../testing/bus-contract';
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
