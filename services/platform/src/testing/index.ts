export * from './expect-eventually';
export * from './bus-contract';
